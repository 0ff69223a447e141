/**
 * Reconciliation (placing missing nodes, draining surplus ones) at most once per RECONCILE_DELAY_MS, however many
 * registrations asked for it meanwhile. Each pass costs a walk over every worker and node; run on every READY, a fleet
 * of 10,000 workers coming up made it 10,000 walks of a growing cluster (10^9 steps, while heartbeats queued up). A
 * worker that registers has its missing nodes placed, or its surplus drained, that much later.
 */
import type { MasterContext } from './context.js';
import { reconcile } from './node-placement.js';
import { drainSurplus } from './surplus.js';

const pending = new WeakSet<MasterContext>();

/** How long registrations gather before the reconciliation they asked for. */
export const RECONCILE_DELAY_MS = 50;

/** Reconciles RECONCILE_DELAY_MS from now (once for all asking meanwhile), unless the master has stopped by then. */
export function reconcileSoon(context: MasterContext, isRunning: () => boolean): void {
  if (pending.has(context)) return;
  pending.add(context);
  setTimeout(() => {
    pending.delete(context);
    if (!isRunning()) return;
    reconcile(context);
    drainSurplus(context);
  }, RECONCILE_DELAY_MS).unref();
}
