/**
 * Surplus reconciliation: running counts converge to desired counts from above as well as from below. More nodes of a
 * type can run than desired when a worker declared lost comes back with the nodes that were placed again elsewhere
 * (a paused or cut-off worker), or when a start the master gave up on (408) turns out to have started. Desired counts
 * do not follow what runs (only requests change them, see Cluster.register); instead the surplus is drained, with
 * STOP-NODE and the master's drain timeout, so no message is lost or processed twice by the stop.
 *
 * Which nodes go: first those on stalled workers (their loop is blocked: the nodes placed in their stead do the work),
 * then the newest, by when this master first knew each to run (a returning worker's nodes keep their age). Nodes a
 * STOP-NODE is already out for are not counted, so checks that overlap never stop more than the surplus.
 */
import type { MessageOf } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import type { TypeTally } from './type-tally.js';
import type { NodeRecord, WorkerRecord } from './worker-record.js';
import { livenessWindowMs, stopOn } from './node-placement.js';

export function drainSurplus(
  context: MasterContext,
  tallies: Map<string, TypeTally> = context.cluster.tally(),
): void {
  const { cluster, options, log } = context;
  const window = livenessWindowMs(context);
  for (const [type, extra] of cluster.surpluses(tallies)) {
    const candidates: { worker: WorkerRecord; node: NodeRecord; stalled: boolean }[] = [];
    for (const worker of cluster.workers()) {
      const stalled = worker.stalled(window);
      for (const node of worker.nodes.values()) {
        if (node.type === type && !worker.stopping.has(node.name))
          candidates.push({ worker, node, stalled });
      }
    }
    candidates.sort(
      (a, b) => Number(b.stalled) - Number(a.stalled) || b.node.startedAt - a.node.startedAt,
    );
    for (const { worker, node } of candidates.slice(0, extra)) {
      log.info(
        {
          type,
          workerId: worker.id,
          nodeName: node.name,
          desired: cluster.desired(type),
          running: cluster.running(type),
        },
        'draining a surplus node',
      );
      void stopOn(context, worker, node.name, options.drainTimeoutMs).then((outcome) => {
        if (!outcome.ok) {
          log.warn(
            { type, workerId: worker.id, nodeName: node.name, reason: outcome.reason },
            'a surplus node did not stop; the next check tries again',
          );
        }
      });
    }
  }
}

/**
 * A start given up on (408) that started after all: the node runs, beyond what is desired (the request lowered the
 * count). It is counted and drained at once, rather than when the next heartbeat lists it.
 */
export function lateStartSucceeded(
  context: MasterContext,
  worker: WorkerRecord,
  success: MessageOf<'START-NODE-SUCCESS'>,
): void {
  context.cluster.nodeStarted(worker, success.type, success.nodeName, context.now());
  drainSurplus(context);
}
