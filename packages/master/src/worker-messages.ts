/**
 * What a registered (or registering) worker sends the master: READY, HEARTBEAT, its answers to START-NODE, STOP-NODE
 * and FAIL-QUEUE, and NODE-EXITED. (BYE, the way out, is in worker-loss.ts.) Messages over a peer limit are refused
 * before anything is taken in; answers that come after their request was settled are logged, never an error.
 */
import { ReplyCode, Status, describeRoutingId } from '@monomyth/mmop';
import type { MessageOf } from '@monomyth/mmop';
import { admitReady, registerWorker } from './admission.js';
import type { StartAnswer, StopAnswer } from './context.js';
import { noteHeartbeat } from './liveness.js';
import type { MasterParts } from './master-parts.js';
import { nodeExited } from './node-exits.js';
import { nodesBreach, readyBreach } from './peer-limits.js';
import type { LimitBreach } from './peer-limits.js';
import type { PeerRoles } from './security.js';
import { rememberHeartbeat } from './repeated-heartbeat.js';
import { lateStartSucceeded } from './surplus.js';
import type { WorkerRecord } from './worker-record.js';

/** A message over a limit (peer-limits.ts): ERROR to its sender, a log line at a bounded rate, nothing kept. */
export function refuse(
  parts: MasterParts,
  identity: Buffer,
  breach: LimitBreach,
  kind: string,
): void {
  parts.breaches.note(breach, { kind, peer: describeRoutingId(identity) });
  parts.replies.error(identity, undefined, breach.status, breach.code, breach.reason);
}

/** READY: a worker registers (admission.ts); one over a limit is refused first. */
export function onReady(
  parts: MasterParts,
  identity: Buffer,
  message: MessageOf<'READY'>,
  peer: PeerRoles | undefined,
): void {
  const { context, claims } = parts;
  // Over a limit: refused before anything is taken in. A capacity over maxNodesPerWorker counts as that many.
  const breach = readyBreach(
    message,
    context.options.limits,
    context.cluster.workerCount,
    context.cluster.worker(message.workerId) === undefined,
  );
  if (breach) return refuse(parts, identity, breach, 'READY');
  const { maxNodesPerWorker } = context.options.limits;
  const ready = { ...message, capacity: Math.min(message.capacity, maxNodesPerWorker) };
  const isRunning = (): boolean => parts.isRunning();
  admitReady(context, claims, identity, ready, peer, {
    admit: (claimant) =>
      registerWorker(context, claims, claimant, ready, {
        learnDesired: parts.learnsDesired(),
        masterEpoch: parts.epoch,
        isRunning,
      }),
    masterEpoch: parts.epoch,
    isRunning,
  });
}

/**
 * HEARTBEAT: the worker's nodes, lag and queues are taken in and acknowledged; an unknown sender must send READY.
 * `body`, the frame it was decoded from, is kept so that a heartbeat repeating it need not be decoded.
 */
export function onHeartbeat(
  parts: MasterParts,
  identity: Buffer,
  heartbeat: MessageOf<'HEARTBEAT'>,
  body: Buffer,
): void {
  const { context, replies } = parts;
  const worker = context.cluster.workerByIdentity(identity);
  if (!worker) {
    // Lost and back, or registered with a master that has since restarted: it must register again.
    replies.error(
      identity,
      undefined,
      Status.NotFound,
      ReplyCode.NotRegistered,
      'this master does not know you: send READY',
    );
    return;
  }
  const breach = nodesBreach(heartbeat.nodes, context.options.limits);
  if (breach) return refuse(parts, identity, breach, 'HEARTBEAT');
  noteHeartbeat(context, worker, heartbeat);
  worker.noteQueues(heartbeat.queues, context.now());
  parts.stats.heartbeat(worker.id, heartbeat.nodes);
  rememberHeartbeat(worker, body, heartbeat.queues !== undefined);
  replies.replyUnchanging(identity, parts.heartbeatAck);
}

/**
 * A HEARTBEAT whose body is the last one's, byte for byte (repeated-heartbeat.ts): what the full path would change is
 * changed and it is acknowledged. The worker is heard from now. Its queue counts are as of now when workers report
 * counters in every heartbeat (the same bytes: it read the same counts again); with a longer countersIntervalMs a
 * repeat may carry counts read up to that long ago, so they keep the time of the heartbeat that brought them, and a
 * fresher report from another worker is not overridden by an old one.
 */
export function onRepeatedHeartbeat(parts: MasterParts, worker: WorkerRecord): void {
  const { options } = parts.context;
  const now = parts.context.now();
  worker.lastSeenAt = now;
  const countsAreFresh = options.countersIntervalMs <= options.heartbeatIntervalMs;
  if (countsAreFresh && worker.lastHeartbeat?.carriesQueues)
    worker.queueReport = { ...worker.queueReport, at: now };
  parts.stats.heardAgain(worker.id);
  parts.replies.replyUnchanging(worker.identity, parts.heartbeatAck);
}

/** A worker's answer to START-NODE or STOP-NODE settles the request waiting on it, if one still does. */
export function onWorkerAnswer(
  parts: MasterParts,
  identity: Buffer,
  message: StartAnswer | StopAnswer,
): void {
  const { context } = parts;
  const matched =
    message.kind === 'START-NODE-SUCCESS' || message.kind === 'START-NODE-FAILURE'
      ? context.starts.answer(message.requestId, message)
      : context.stops.answer(message.requestId, message);
  if (matched) return;
  context.log.info(
    { kind: message.kind, requestId: message.requestId },
    'late answer from a worker',
  );
  // Other late answers: the next heartbeat brings the worker's true node list.
  const worker = context.cluster.workerByIdentity(identity);
  if (message.kind === 'START-NODE-SUCCESS' && worker) lateStartSucceeded(context, worker, message);
}

/** A worker's answer to FAIL-QUEUE settles the request waiting on it; a late one is only logged. */
export function onFailQueueAnswer(
  parts: MasterParts,
  message: MessageOf<'FAIL-QUEUE-SUCCESS'> | MessageOf<'FAIL-QUEUE-FAILURE'>,
): void {
  if (parts.failQueues.answer(message)) return;
  parts.context.log.info(
    { kind: message.kind, requestId: message.requestId },
    'late answer from a worker',
  );
}

/** NODE-EXITED: one of a worker's nodes ended (node-exits.ts); an unknown sender is ignored. */
export function onNodeExited(
  parts: MasterParts,
  identity: Buffer,
  exited: MessageOf<'NODE-EXITED'>,
): void {
  const worker = parts.context.cluster.workerByIdentity(identity);
  if (worker) nodeExited(parts.context, worker, exited);
}
