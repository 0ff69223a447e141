/**
 * Answers to the control client's requests. Each answer says what happened, not merely what was sent: a start request
 * is answered once every chosen worker has answered (or its timeout passed), with the nodes started and the failures.
 */
import {
  ReplyCode,
  StartFailureCategory,
  Status,
  describeError,
  truncateText,
} from '@monomyth/mmop';
import type { MessageOf, MmopMessage } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { livenessWindowMs, reconcile, startOn, stopOn } from './node-placement.js';
import type { StartOutcome, StopOutcome } from './node-placement.js';
import { chooseNodesToStop, chooseWorkers } from './scheduler.js';
import type { WorkerRecord } from './worker-record.js';

type Reply = MmopMessage;

type Fail = (status: number, code: string, reason: string) => Reply;

/** The failure answer to one request: `fail(status, code, reason)`. */
function failureOf(
  kind: 'START-NODE-REQUEST-FAILURE' | 'STOP-NODE-REQUEST-FAILURE' | 'STOP-WORKER-REQUEST-FAILURE',
  requestId: string,
): Fail {
  return (status, code, reason) => ({ kind, requestId, status, code, reason });
}

/** The nodes that started (or stopped), as the success answer lists them. */
function nodesDone(
  outcomes: readonly (StartOutcome | StopOutcome)[],
): { nodeName: string; workerId: string }[] {
  return outcomes.flatMap((outcome) =>
    outcome.ok ? [{ nodeName: outcome.nodeName, workerId: outcome.workerId }] : [],
  );
}

export async function startNodes(
  context: MasterContext,
  request: MessageOf<'START-NODE-REQUEST'>,
): Promise<Reply> {
  const { cluster } = context;
  const { requestId, type, count } = request;
  const fail = failureOf('START-NODE-REQUEST-FAILURE', requestId);
  if (cluster.workerCount === 0)
    return fail(Status.Unavailable, ReplyCode.NoWorkers, 'no worker is registered with the master');
  if (!cluster.recipe(type)) {
    const known = cluster.knownTypes();
    return fail(
      Status.BadRequest,
      ReplyCode.UnknownType,
      `no worker offers node type ${type}; known types: ${known.length > 0 ? known.join(', ') : 'none'}`,
    );
  }
  cluster.changeDesired(type, count);
  const now = context.now();
  const attempts = chooseWorkers(
    cluster.offering(type),
    type,
    count,
    now,
    livenessWindowMs(context),
  ).map((worker) => startOn(context, worker, type));
  // Nodes that found no room are not wanted after all: lower the count now, before awaiting the starts, so that a
  // reconciliation in the meantime does not place them behind this request's back.
  const unplaced = count - attempts.length;
  cluster.changeDesired(type, -unplaced);
  if (attempts.length === 0) {
    let offering = 0;
    for (const worker of cluster.workers()) if (worker.canRun(type)) offering += 1;
    return fail(
      Status.Unavailable,
      ReplyCode.NoCapacity,
      offering === 0
        ? `no registered worker can run ${type}`
        : `none of the ${offering} workers that can run ${type} is active with room for another node`,
    );
  }
  const outcomes = await Promise.all(attempts);
  const started = nodesDone(outcomes);
  const failures = outcomes.flatMap((outcome) =>
    outcome.ok
      ? []
      : [{ workerId: outcome.workerId, category: outcome.category, reason: outcome.reason }],
  );
  if (unplaced > 0) {
    failures.push({
      workerId: 'none',
      category: StartFailureCategory.NoCapacity,
      reason: `${unplaced} of ${count} nodes found no worker with room`,
    });
  }
  // What did not start is no longer wanted: the caller is told, and decides whether to ask again.
  cluster.changeDesired(type, -(attempts.length - started.length));
  if (started.length === 0) {
    const timedOut = outcomes.every(
      (outcome) => !outcome.ok && outcome.category === StartFailureCategory.Timeout,
    );
    return fail(
      timedOut ? Status.Timeout : Status.InternalError,
      timedOut ? ReplyCode.StartTimeout : ReplyCode.StartFailed,
      // Cut to MMOP's text limit: 10,000 failures joined would make the answer itself fail to encode.
      truncateText(
        `no ${type} node started: ${failures.map((item) => `${item.workerId}: ${item.reason}`).join('; ')}`,
      ),
    );
  }
  return { kind: 'START-NODE-REQUEST-SUCCESS', requestId, type, started, failures };
}

export async function stopNodes(
  context: MasterContext,
  request: MessageOf<'STOP-NODE-REQUEST'>,
): Promise<Reply> {
  const { cluster } = context;
  const { requestId, target, count } = request;
  const drainTimeoutMs = request.drainTimeoutMs ?? context.options.drainTimeoutMs;
  const fail = failureOf('STOP-NODE-REQUEST-FAILURE', requestId);
  const holder = cluster.findNode(target);
  let targets: { worker: WorkerRecord; nodeName: string }[];
  if (holder) {
    targets = [{ worker: holder, nodeName: target }];
    // Lower the desired count first, so the node being stopped is not started again elsewhere.
    const type = holder.nodes.get(target)?.type;
    if (type) cluster.changeDesired(type, -1);
  } else if (cluster.recipe(target) !== undefined || cluster.desired(target) > 0) {
    // By type: `count` fewer are wanted, whether they run now or were still waiting for room.
    targets = chooseNodesToStop(cluster.workers(), target, count);
    if (targets.length === 0 && cluster.desired(target) === 0) {
      return fail(Status.NotFound, ReplyCode.NotRunning, `no ${target} node is running`);
    }
    cluster.changeDesired(target, -count);
  } else {
    return fail(
      Status.NotFound,
      ReplyCode.UnknownTarget,
      `${target} is neither a known node type nor a running node`,
    );
  }
  const outcomes = await Promise.all(
    targets.map(({ worker, nodeName }) => stopOn(context, worker, nodeName, drainTimeoutMs)),
  );
  const stopped = nodesDone(outcomes);
  const failures = outcomes.flatMap((outcome) =>
    outcome.ok
      ? []
      : [{ nodeName: outcome.nodeName, workerId: outcome.workerId, reason: outcome.reason }],
  );
  if (stopped.length === 0 && failures.length > 0) {
    const first = outcomes.find((outcome) => !outcome.ok);
    return fail(
      first?.status ?? Status.InternalError,
      first?.code ?? ReplyCode.StopFailed,
      failures.map((item) => `${item.nodeName}: ${item.reason}`).join('; '),
    );
  }
  return { kind: 'STOP-NODE-REQUEST-SUCCESS', requestId, stopped, failures };
}

/**
 * Tells a worker to drain and leave. Its nodes stay desired, so they are started on the other workers as it goes.
 * Answered when the worker says BYE (or is lost), or with 408 if it has not left within its drain timeout and grace.
 */
export async function stopWorker(
  context: MasterContext,
  request: MessageOf<'STOP-WORKER-REQUEST'>,
): Promise<Reply> {
  const { requestId, workerId } = request;
  const fail = failureOf('STOP-WORKER-REQUEST-FAILURE', requestId);
  const worker = context.cluster.worker(workerId);
  if (!worker) {
    return fail(Status.NotFound, ReplyCode.UnknownWorker, `no worker ${workerId} is registered`);
  }
  const drainTimeoutMs = request.drainTimeoutMs ?? context.options.drainTimeoutMs;
  worker.state = 'draining';
  const settled = context.shutdowns.expect(
    `${context.nextRequestId()}:${workerId}`,
    workerId,
    drainTimeoutMs + context.options.stopGraceMs,
  );
  try {
    await context.send(worker.identity, { kind: 'SHUTDOWN', drainTimeoutMs });
  } catch (error) {
    // Not told to leave, so it goes on working: schedulable again.
    worker.state = 'active';
    return fail(
      Status.Unavailable,
      ReplyCode.SendFailed,
      `could not reach ${workerId}: ${describeError(error)}`,
    );
  }
  reconcile(context);
  const settlement = await settled;
  if (settlement.outcome === 'closed') {
    return fail(
      Status.Unavailable,
      ReplyCode.MasterClosing,
      `the master closed before ${workerId} left`,
    );
  }
  if (settlement.outcome === 'timeout') {
    return fail(Status.Timeout, ReplyCode.DrainTimeout, settlement.reason);
  }
  return { kind: 'STOP-WORKER-REQUEST-SUCCESS', requestId, workerId };
}
