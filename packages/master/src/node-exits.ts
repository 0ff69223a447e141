/**
 * NODE-EXITED: a worker says one of its nodes ended. Restarting: only logged (the worker restarts it). Completed (its
 * work is done): one node fewer is wanted. Failed for good: counted, the worker avoided for that type a while, and
 * the node placed again.
 */
import type { MessageOf } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { reconcile } from './node-placement.js';
import type { WorkerRecord } from './worker-record.js';

export function nodeExited(
  context: MasterContext,
  worker: WorkerRecord,
  exited: MessageOf<'NODE-EXITED'>,
): void {
  const { cluster, log } = context;
  const fields = { workerId: worker.id, nodeName: exited.nodeName, reason: exited.reason };
  if (exited.restarting) {
    log.warn(fields, 'node crashed; its worker restarts it');
    return;
  }
  cluster.nodeGone(worker, exited.nodeName);
  if (exited.completed === true) {
    // Its work is done: one node fewer is wanted, and none is placed in its stead.
    cluster.changeDesired(exited.type, -1);
    cluster.count(exited.type, 'completed');
    log.info(fields, 'node completed');
    return;
  }
  cluster.count(exited.type, 'failed');
  worker.avoid.set(exited.type, context.now() + context.options.avoidAfterFailureMs);
  log.warn(fields, 'node exited; placing it again');
  reconcile(context);
}
