/**
 * How many messages each node type has processed in all, for the autoscaler's rate (autoscale-decision.ts), from the
 * node counters the workers' heartbeats carry. A node's counter starts again at 0 when it is rebuilt or its worker
 * restarts, and is gone when the node stops, so the sum of what the nodes show would go down; this keeps, per node,
 * the counter it last saw and adds only the difference (as http/master-stats.ts does for the metrics), so each type's
 * total only grows. Read once per autoscale round, only when some type is autoscaled: nothing on the message path.
 */
import type { WorkerRecord } from './worker-record.js';

interface Seen {
  processed: number;
  restarts: number;
}

/** One round's figures for a type: its total so far, and how many nodes reported counters. */
export interface TypeProcessing {
  processed: number;
  running: number;
}

/** How many workers' counters are remembered: a worker lost and back within this many keeps its baseline. */
const MAX_REMEMBERED_WORKERS = 10_000;

export class ProcessingTotals {
  /**
   * The counters last seen, per worker and node. A worker gone is kept (bounded), so that when it comes back, what its
   * nodes counted before is not taken for new work.
   */
  readonly #seen = new Map<string, Map<string, Seen>>();
  readonly #totals = new Map<string, TypeProcessing>();

  /** Takes in the counters of every node the workers last reported; answers each type's figures. */
  update(workers: Iterable<WorkerRecord>): ReadonlyMap<string, Readonly<TypeProcessing>> {
    for (const totals of this.#totals.values()) totals.running = 0;
    for (const worker of workers) {
      let seen = this.#seen.get(worker.id);
      // Re-inserted, so the first entry is always the worker heard from longest ago.
      if (seen === undefined) seen = new Map();
      else this.#seen.delete(worker.id);
      this.#seen.set(worker.id, seen);
      let reported = 0;
      for (const { status } of worker.nodes.values()) {
        if (status === undefined) continue;
        reported += 1;
        let totals = this.#totals.get(status.type);
        if (totals === undefined)
          this.#totals.set(status.type, (totals = { processed: 0, running: 0 }));
        totals.running += 1;
        const last = seen.get(status.name);
        if (last === undefined) {
          totals.processed += status.processed;
          seen.set(status.name, { processed: status.processed, restarts: status.restarts });
          continue;
        }
        const restarted = status.restarts !== last.restarts || status.processed < last.processed;
        totals.processed += restarted ? status.processed : status.processed - last.processed;
        last.processed = status.processed;
        last.restarts = status.restarts;
      }
      // Nodes gone from a worker that still runs are forgotten (a heartbeat lists every node it runs).
      if (seen.size > reported) {
        for (const name of seen.keys())
          if (worker.nodes.get(name)?.status === undefined) seen.delete(name);
      }
    }
    for (const id of this.#seen.keys()) {
      if (this.#seen.size <= MAX_REMEMBERED_WORKERS) break;
      this.#seen.delete(id);
    }
    return this.#totals;
  }
}
