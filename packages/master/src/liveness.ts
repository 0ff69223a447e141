/**
 * Liveness: which workers are alive, stalled or lost. A worker silent past the liveness window (heartbeat interval x
 * misses) is lost: the process is gone, paused or cut off. A worker that heartbeats but reports its event loop blocked
 * past that window is `stalled`: alive, holding its nodes' messages, just busy (a CPU-heavy transform). Placing its
 * nodes again would process those messages twice, so it keeps them, gets no new ones, and is treated as lost only
 * when the stall outlasts the stall limit.
 */
import type { MessageOf } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { livenessWindowMs, reconcile } from './node-placement.js';
import { drainSurplus } from './surplus.js';
import type { WorkerRecord } from './worker-record.js';
import type { LoopSaturation } from './loop-saturation.js';

/** Workers lost in one check that get a log line each; the rest are counted in one line. */
export const LOST_LINES_PER_CHECK = 10;

/** HEARTBEAT: the worker's nodes and lag are taken in; a worker that stalls or recovers is logged once. */
export function noteHeartbeat(
  context: MasterContext,
  worker: WorkerRecord,
  heartbeat: MessageOf<'HEARTBEAT'>,
): void {
  const window = livenessWindowMs(context);
  const wasStalled = worker.stalled(window);
  context.cluster.heartbeat(worker, heartbeat.nodes, heartbeat.eventLoopLagMs ?? 0, context.now());
  if (worker.stalled(window) === wasStalled) return;
  const fields = { workerId: worker.id, lagMs: worker.lagMs, nodes: worker.nodes.size };
  if (wasStalled) {
    context.log.info(fields, 'worker answers again after a stall');
  } else {
    context.log.warn(
      { ...fields, stallLimitMs: context.options.stallLimitMs },
      'worker stalled: its event loop does not answer; its nodes stay until the stall limit',
    );
  }
}

/**
 * Every heartbeat interval: workers silent past the liveness window are lost, and so are workers stalled past the
 * stall limit; then missing nodes are placed and surplus nodes drained.
 */
export function checkLiveness(
  context: MasterContext,
  forget: (workerId: string, reason: string) => void,
  saturation?: LoopSaturation,
): void {
  const { cluster, log } = context;
  const now = context.now();
  const window = livenessWindowMs(context);
  const saturated = saturation?.check(now, window);
  let silent = cluster.silentWorkers(now, window);
  if (saturated?.defer && silent.length > 0) {
    // Their heartbeats may be waiting in the master's own socket: see loop-saturation.ts.
    // One line per tick at most (a tick is a heartbeat interval), and only while it defers.
    log.warn(
      { silent: silent.length, saturatedMs: now - (saturated.since ?? now), deferMs: window },
      'the master is saturated: workers silent past the window are not declared lost yet',
    );
    silent = [];
  }
  for (const [i, worker] of silent.entries()) {
    if (i < LOST_LINES_PER_CHECK)
      log.warn(
        { workerId: worker.id, silentMs: now - worker.lastSeenAt, nodes: worker.nodes.size },
        'worker lost',
      );
    forget(worker.id, `worker ${worker.id} was lost (silent for over ${window} ms)`);
  }
  if (silent.length > LOST_LINES_PER_CHECK)
    log.warn(
      { lost: silent.length, notListed: silent.length - LOST_LINES_PER_CHECK },
      `${silent.length} workers lost at once (a host, rack or network gone?); ${LOST_LINES_PER_CHECK} listed`,
    );
  const { stallLimitMs } = context.options;
  for (const worker of [...cluster.workers()]) {
    if (!worker.stalled(window) || now - worker.stalledSince() <= stallLimitMs) continue;
    log.warn(
      { workerId: worker.id, lagMs: worker.lagMs, stallLimitMs, nodes: worker.nodes.size },
      'worker stalled past the stall limit: treated as lost',
    );
    forget(
      worker.id,
      `worker ${worker.id} was stalled for over ${stallLimitMs} ms (its event loop did not answer)`,
    );
  }
  // One count of every worker's nodes serves both: at 10,000 workers it is most of what this check costs.
  const tallies = cluster.tally();
  reconcile(context, tallies);
  drainSurplus(context, tallies);
}
