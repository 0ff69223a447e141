/**
 * How a worker leaves the registry: it says BYE, it falls silent or stalls past the limits (the liveness check on
 * every heartbeat interval), or its CURVE key is removed. Each way ends in forgetWorker, which settles everything
 * that waited on the worker and has its nodes placed on the others.
 */
import type { MessageOf } from '@monomyth/mmop';
import { checkLiveness } from './liveness.js';
import type { MasterParts } from './master-parts.js';
import { livenessWindowMs } from './node-placement.js';
import { reconcileSoon } from './reconcile-soon.js';
import type { PeerRoles } from './security.js';

/** Removes a worker and settles everything that waited on it; its nodes are placed on the others. */
export function forgetWorker(parts: MasterParts, workerId: string, reason: string): void {
  const { context } = parts;
  const worker = context.cluster.worker(workerId);
  if (!worker) return;
  context.cluster.remove(worker, livenessWindowMs(context));
  context.starts.failWorker(workerId, reason);
  context.stops.failWorker(workerId, reason);
  context.shutdowns.failWorker(workerId, reason);
  parts.failQueues.failWorker(workerId, reason);
  // Once for all the workers lost together (1,000 at once cost 1,000 walks of the cluster otherwise).
  reconcileSoon(context, () => parts.isRunning());
}

/** BYE: the worker leaves on its own; an unknown sender is ignored. */
export function onBye(parts: MasterParts, identity: Buffer, bye: MessageOf<'BYE'>): void {
  const worker = parts.context.cluster.workerByIdentity(identity);
  if (!worker) return;
  parts.context.log.info(
    { workerId: worker.id, reason: bye.reason, nodes: worker.nodes.size },
    'worker left',
  );
  forgetWorker(parts, worker.id, `worker ${worker.id} left: ${bye.reason}`);
}

/** Every heartbeat interval: the autoscaler's tick, then workers silent or stalled too long are forgotten. */
export function checkWorkers(parts: MasterParts): void {
  parts.scaling.tick();
  checkLiveness(
    parts.context,
    (workerId, reason) => {
      parts.stats.workerLost(
        reason.startsWith(`worker ${workerId} was stalled`) ? 'stalled' : 'silent',
      );
      forgetWorker(parts, workerId, reason);
    },
    parts.saturation,
  );
}

/** A refused frame came from a registered worker whose key is no longer a worker key: it is dropped. */
export function onKeyRemoved(
  parts: MasterParts,
  identity: Buffer,
  peer: PeerRoles | undefined,
): void {
  const worker = parts.context.cluster.workerByIdentity(identity);
  if (!worker || peer?.worker) return;
  parts.context.log.warn(
    { workerId: worker.id, publicKey: worker.publicKey },
    'worker key removed: dropping the worker',
  );
  forgetWorker(parts, worker.id, `the key of worker ${worker.id} was removed`);
}
