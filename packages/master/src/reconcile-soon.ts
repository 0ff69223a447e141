/**
 * Reconciliation (placing missing nodes, draining surplus ones) once per turn of the event loop, however many
 * registrations asked for it in that turn. Each pass costs a walk over every worker and node; run on every READY, a
 * fleet of 10,000 workers coming up made it 10,000 walks of a growing cluster. ZeroMQ hands over the messages already
 * queued without yielding to timers, so the READYs of a burst all land before the pass that follows them.
 */
import type { MasterContext } from './context.js';
import { reconcile } from './node-placement.js';
import { drainSurplus } from './surplus.js';

const pending = new WeakSet<MasterContext>();

/** Reconciles after the messages queued now are handled, unless `isRunning` says the master has stopped meanwhile. */
export function reconcileSoon(context: MasterContext, isRunning: () => boolean): void {
  if (pending.has(context)) return;
  pending.add(context);
  setImmediate(() => {
    pending.delete(context);
    if (!isRunning()) return;
    reconcile(context);
    drainSurplus(context);
  });
}
