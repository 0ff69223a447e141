/**
 * Cluster-wide counters the master accumulates for its metrics and dashboard: message counts per node type, summed from
 * the workers' heartbeats, and the master's own events (MMOP frames received and malformed, workers lost).
 *
 * A heartbeat carries each node's counters since that node was built, and they start again at 0 when it is built again
 * (a restart inside its worker) or when its worker restarts (a new process, new node names). Summing them as they are
 * would make totals go down. So the master keeps, per worker and node, the counters it last saw, and adds only the
 * difference: a counter lower than last time (or a node whose restart count moved) has started again, and all of it
 * is new. Totals per type therefore only grow, whatever happens to workers and nodes, until the master itself restarts
 * (which Prometheus sees as a counter reset, as for any process). What a node counted after its last heartbeat and
 * before it was rebuilt or its worker died is not seen; at the default one-second heartbeat that is at most a second's
 * worth.
 */
import type { NodeStatus } from '@monomyth/mmop';

/** The message counters a heartbeat carries, per node type. */
export const MESSAGE_COUNTERS = ['processed', 'failed', 'retried', 'published'] as const;
export type MessageCounter = (typeof MESSAGE_COUNTERS)[number];

export interface TypeTotals {
  /** Attempts that ended (processed, failed or retried): the messages taken from the source queue and settled. */
  received: number;
  processed: number;
  failed: number;
  retried: number;
  published: number;
  /** Node rebuilds inside their worker after a failure. */
  restarts: number;
}

interface LastSeen {
  processed: number;
  failed: number;
  retried: number;
  published: number;
  restarts: number;
}

/** Why a worker was taken off: silent past the liveness window, or stalled past the stall limit. */
export type LossReason = 'silent' | 'stalled';

/** How many workers' last-seen counters are kept: a worker lost and back within this many keeps its baseline. */
const MAX_REMEMBERED_WORKERS = 10_000;
/** Past the bound, the workers heard from longest ago are forgotten this many at a time (so the sort is rare). */
const FORGET_AT_ONCE = 1_000;

/** A worker's last-seen counters per node, and when it was last heard from (a heartbeat count, for forgetting). */
interface WorkerSeen {
  readonly nodes: Map<string, LastSeen>;
  heardAt: number;
}

/** What a counter added since it was last seen: all of it when it started again (lower, or its node rebuilt). */
function counted(now: number, then: number | undefined, rebuilt: boolean): number {
  return then === undefined || rebuilt || now < then ? now : now - then;
}

export class MasterStats {
  readonly #totals = new Map<string, TypeTotals>();
  readonly #lastSeen = new Map<string, WorkerSeen>();
  #heartbeats = 0;
  /** MMOP messages received (every frame set the ROUTER delivered, decoded or not). */
  framesReceived = 0;
  /** Frame sets that did not decode as MMOP/1. */
  framesMalformed = 0;
  /** HEARTBEATs that repeated their worker's last one byte for byte, answered without decoding them. */
  heartbeatsRepeated = 0;
  readonly workerLosses: Record<LossReason, number> = { silent: 0, stalled: 0 };

  /** The totals of every type seen so far. */
  totals(): ReadonlyMap<string, Readonly<TypeTotals>> {
    return this.#totals;
  }

  /** A type's totals (zeros for a type never seen: its series exist before its first heartbeat). */
  totalsOf(type: string): TypeTotals {
    let totals = this.#totals.get(type);
    if (totals === undefined) {
      totals = { received: 0, processed: 0, failed: 0, retried: 0, published: 0, restarts: 0 };
      this.#totals.set(type, totals);
    }
    return totals;
  }

  /**
   * A heartbeat: adds what each node counted since the worker's last heartbeat to its type's totals. The worker's
   * last-seen counters are updated in place: nothing is allocated for a node already known.
   */
  heartbeat(workerId: string, nodes: readonly NodeStatus[]): void {
    let worker = this.#lastSeen.get(workerId);
    if (worker === undefined) {
      worker = { nodes: new Map(), heardAt: 0 };
      this.#lastSeen.set(workerId, worker);
      if (this.#lastSeen.size > MAX_REMEMBERED_WORKERS + FORGET_AT_ONCE) this.#forgetOldest();
    }
    worker.heardAt = ++this.#heartbeats;
    const seen = worker.nodes;
    for (const status of nodes) {
      const last = seen.get(status.name);
      const published = status.published ?? 0;
      const totals = this.totalsOf(status.type);
      // A node rebuilt since (its restarts moved) counts from 0 again, whichever counter shows it first.
      const rebuilt = last !== undefined && status.restarts !== last.restarts;
      const processed = counted(status.processed, last?.processed, rebuilt);
      const failed = counted(status.failed, last?.failed, rebuilt);
      const retried = counted(status.retried, last?.retried, rebuilt);
      totals.processed += processed;
      totals.failed += failed;
      totals.retried += retried;
      totals.published += counted(published, last?.published, rebuilt);
      totals.received += processed + failed + retried;
      if (last === undefined) {
        totals.restarts += status.restarts;
        seen.set(status.name, {
          processed: status.processed,
          failed: status.failed,
          retried: status.retried,
          published,
          restarts: status.restarts,
        });
      } else {
        if (status.restarts > last.restarts) totals.restarts += status.restarts - last.restarts;
        last.processed = status.processed;
        last.failed = status.failed;
        last.retried = status.retried;
        last.published = published;
        last.restarts = status.restarts;
      }
    }
    // Nodes gone from the worker are forgotten (a heartbeat lists every node it runs).
    if (seen.size > nodes.length) {
      const names = new Set(nodes.map((status) => status.name));
      for (const name of seen.keys()) if (!names.has(name)) seen.delete(name);
    }
  }

  /** A heartbeat that repeated the worker's last one: nothing to add, but the worker counts as heard from now. */
  heardAgain(workerId: string): void {
    this.heartbeatsRepeated += 1;
    const worker = this.#lastSeen.get(workerId);
    if (worker !== undefined) worker.heardAt = ++this.#heartbeats;
  }

  /** Keeps the MAX_REMEMBERED_WORKERS workers heard from most recently. */
  #forgetOldest(): void {
    const byAge = [...this.#lastSeen].sort(([, a], [, b]) => a.heardAt - b.heardAt);
    const excess = this.#lastSeen.size - MAX_REMEMBERED_WORKERS;
    for (let i = 0; i < excess; i++) this.#lastSeen.delete((byAge[i] as [string, WorkerSeen])[0]);
  }

  workerLost(reason: LossReason): void {
    this.workerLosses[reason] += 1;
  }
}
