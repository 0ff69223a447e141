/**
 * Who may register under a worker name. A name is the worker's id in the cluster (nodes are placed by it, stop-worker
 * names it), so a second process registering under a name in use must not take the first one's place.
 *
 * - With CURVE, a name is bound to the key that first registered it (until a reload removes that key): another key is
 *   refused, whatever the state of the first worker.
 * - With or without CURVE, a name whose worker is live (heard within the liveness window, and still connected) is
 *   refused to any other process. The same process is known by the instance in its routing id, so a worker that
 *   recreated its socket registers again; a worker that restarts after its old session was lost registers too.
 *
 * Pure decisions; master.ts probes the connection when asked to and sends the refusal.
 */
import type { WorkerRecord } from './worker-record.js';

export type Claim =
  | { readonly verdict: 'accept' }
  /** The name's worker is live by the clock: accept only if a probe shows its connection gone. */
  | { readonly verdict: 'probe'; readonly holder: WorkerRecord }
  | { readonly verdict: 'refuse'; readonly reason: string };

export interface Claimant {
  readonly name: string;
  readonly identity: Buffer;
  /** The process instance from its routing id, when it has one. */
  readonly instance: string | undefined;
  /** Its CURVE key (Z85), with security on. */
  readonly publicKey: string | undefined;
}

const MAX_BOUND_NAMES = 100_000;

export class NameClaims {
  /** Name -> the key (Z85) it is bound to. */
  readonly #bound = new Map<string, string>();

  decide(
    claimant: Claimant,
    holder: WorkerRecord | undefined,
    now: number,
    livenessWindowMs: number,
  ): Claim {
    const boundKey = this.#bound.get(claimant.name);
    if (
      boundKey !== undefined &&
      claimant.publicKey !== undefined &&
      boundKey !== claimant.publicKey
    ) {
      return {
        verdict: 'refuse',
        reason: `worker name ${claimant.name} is bound to another key (${boundKey}); choose another --name`,
      };
    }
    if (!holder) return { verdict: 'accept' };
    if (holder.identity.equals(claimant.identity)) return { verdict: 'accept' };
    if (claimant.instance !== undefined && holder.instance === claimant.instance)
      return { verdict: 'accept' };
    if (now - holder.lastSeenAt > livenessWindowMs) return { verdict: 'accept' };
    return { verdict: 'probe', holder };
  }

  /** A live worker holds the name: the refusal's text. */
  static liveHolder(name: string, holder: WorkerRecord): string {
    return `worker name ${name} is taken by a live worker (pid ${holder.pid} on ${holder.host}); choose another --name`;
  }

  /** Binds the name to the key it registered with (security on). */
  bind(name: string, publicKey: string | undefined): void {
    if (publicKey === undefined || this.#bound.has(name)) return;
    if (this.#bound.size >= MAX_BOUND_NAMES) return;
    this.#bound.set(name, publicKey);
  }

  /** Keys removed from the directories free the names bound to them. */
  release(removedKeys: readonly string[]): void {
    if (removedKeys.length === 0) return;
    const removed = new Set(removedKeys);
    for (const [name, key] of this.#bound) if (removed.has(key)) this.#bound.delete(name);
  }
}
