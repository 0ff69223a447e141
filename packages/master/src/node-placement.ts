/**
 * Starting and stopping single nodes on workers, and bringing every type back to its desired count. Each start or stop
 * is a request to one worker with a timeout; whatever happens (an answer, a refusal, silence, a lost worker, a failed
 * send) it settles with an outcome the caller can report.
 */
import { ReplyCode, StartFailureCategory, Status, describeError } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { chooseWorkers } from './scheduler.js';
import { logStartFailure } from './start-failure-log.js';
import type { WorkerRecord } from './worker-record.js';
import type { TypeTally } from './type-tally.js';

/** A node started, or stopped, on a worker. */
export interface NodeDone {
  readonly ok: true;
  readonly workerId: string;
  readonly nodeName: string;
}

export type StartOutcome =
  | NodeDone
  | {
      readonly ok: false;
      readonly workerId: string;
      readonly category: string;
      readonly reason: string;
    };

export type StopOutcome =
  | NodeDone
  | {
      readonly ok: false;
      readonly workerId: string;
      readonly nodeName: string;
      readonly status: number;
      readonly code: string;
      readonly reason: string;
    };

/** The code of a STOP-NODE that got no answer, by what happened instead. */
const STOP_OUTCOME_CODES = {
  timeout: ReplyCode.Timeout,
  'send-failed': ReplyCode.SendFailed,
  closed: ReplyCode.Closed,
} as const;

/** Sends START-NODE to a worker already chosen (its outstanding count raised) and settles the start. */
export async function startOn(
  context: MasterContext,
  worker: WorkerRecord,
  type: string,
): Promise<StartOutcome> {
  const { cluster, options, log } = context;
  const known = worker.recipes.get(type) ?? cluster.recipe(type);
  const recipe = known && (context.startRecipe?.(known) ?? known);
  const requestId = context.nextRequestId();
  const settled = context.starts.expect(requestId, worker.id, options.startTimeoutMs);
  if (recipe) {
    context
      .send(worker.identity, { kind: 'START-NODE', requestId, recipe })
      .catch((error: unknown) => {
        context.starts.fail(
          requestId,
          'send-failed',
          `could not send START-NODE to ${worker.id}: ${describeError(error)}`,
        );
      });
  } else {
    context.starts.fail(requestId, 'send-failed', `no recipe is known for ${type}`);
  }
  const settlement = await settled;
  worker.addOutstanding(type, -1);
  if (settlement.outcome === 'answered' && settlement.answer.kind === 'START-NODE-SUCCESS') {
    if (cluster.worker(worker.id) === worker)
      cluster.nodeStarted(worker, type, settlement.answer.nodeName, context.now());
    log.info({ workerId: worker.id, type, nodeName: settlement.answer.nodeName }, 'node started');
    return { ok: true, workerId: worker.id, nodeName: settlement.answer.nodeName };
  }
  const [category, reason] =
    settlement.outcome === 'answered'
      ? settlement.answer.kind === 'START-NODE-FAILURE'
        ? [settlement.answer.category, settlement.answer.reason]
        : [StartFailureCategory.Protocol, 'unexpected answer']
      : [settlement.outcome, settlement.reason];
  cluster.count(type, 'failed');
  worker.avoid.set(type, context.now() + options.avoidAfterFailureMs);
  logStartFailure(context, { workerId: worker.id, type, category, reason });
  return { ok: false, workerId: worker.id, category, reason };
}

/** Sends STOP-NODE and settles when the worker has drained the node (or could not). */
export async function stopOn(
  context: MasterContext,
  worker: WorkerRecord,
  nodeName: string,
  drainTimeoutMs: number,
): Promise<StopOutcome> {
  const requestId = context.nextRequestId();
  // Counted as going, so that a surplus check meanwhile does not choose it again.
  worker.stopping.add(nodeName);
  const settled = context.stops.expect(
    requestId,
    worker.id,
    drainTimeoutMs + context.options.stopGraceMs,
  );
  context
    .send(worker.identity, { kind: 'STOP-NODE', requestId, nodeName, drainTimeoutMs })
    .catch((error: unknown) => {
      context.stops.fail(
        requestId,
        'send-failed',
        `could not send STOP-NODE to ${worker.id}: ${describeError(error)}`,
      );
    });
  const settlement = await settled;
  worker.stopping.delete(nodeName);
  if (settlement.outcome === 'answered') {
    if (settlement.answer.kind === 'STOP-NODE-FAILURE') {
      const { status, code, reason } = settlement.answer;
      return { ok: false, workerId: worker.id, nodeName, status, code, reason };
    }
    const type = context.cluster.nodeGone(worker, nodeName);
    if (type) context.cluster.count(type, 'completed');
    context.log.info({ workerId: worker.id, nodeName }, 'node stopped');
    return { ok: true, workerId: worker.id, nodeName };
  }
  if (settlement.outcome === 'worker-lost') {
    // The worker and its nodes are gone: the node is stopped, if not gracefully.
    return { ok: true, workerId: worker.id, nodeName };
  }
  return {
    ok: false,
    workerId: worker.id,
    nodeName,
    status: settlement.outcome === 'timeout' ? Status.Timeout : Status.Unavailable,
    code: STOP_OUTCOME_CODES[settlement.outcome],
    reason: settlement.reason,
  };
}

/**
 * Starts nodes wherever a type has fewer running or starting than desired, on the workers the scheduler picks, for as
 * many as have room. Called when a worker is lost or leaves, when a node exits for good, when a worker registers, and
 * on every liveness tick (so starts that failed are retried as the cluster changes).
 */
/** How long a worker may be silent, or its event loop unanswering, before it is lost or stalled. */
export function livenessWindowMs(context: MasterContext): number {
  return context.options.heartbeatIntervalMs * context.options.heartbeatMisses;
}

export function reconcile(
  context: MasterContext,
  tallies: Map<string, TypeTally> = context.cluster.tally(),
): void {
  const now = context.now();
  for (const [type, missing] of context.cluster.deficits(tallies)) {
    const chosen = chooseWorkers(
      context.cluster.offering(type),
      type,
      missing,
      now,
      livenessWindowMs(context),
    );
    for (const worker of chosen) {
      context.log.info({ type, workerId: worker.id }, 'placing a missing node');
      void startOn(context, worker, type);
    }
    if (chosen.length < missing)
      context.log.debug(
        { type, missing: missing - chosen.length },
        'no worker has room for missing nodes',
      );
  }
}
