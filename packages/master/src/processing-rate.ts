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
  /** The round that last saw the node: nodes not seen in a round are forgotten. */
  round: number;
}

/** One round's figures for a type: its total so far, and how many nodes reported counters. */
export interface TypeProcessing {
  processed: number;
  running: number;
}

export class ProcessingTotals {
  readonly #seen = new Map<string, Seen>();
  readonly #totals = new Map<string, TypeProcessing>();
  #round = 0;

  /** Takes in the counters of every node the workers last reported; answers each type's figures. */
  update(workers: Iterable<WorkerRecord>): ReadonlyMap<string, Readonly<TypeProcessing>> {
    const round = ++this.#round;
    for (const totals of this.#totals.values()) totals.running = 0;
    for (const worker of workers) {
      for (const { status } of worker.nodes.values()) {
        if (status === undefined) continue;
        // Node names are unique per worker only: the worker's id keeps them apart.
        const key = `${worker.id}\u0000${status.name}`;
        let totals = this.#totals.get(status.type);
        if (totals === undefined)
          this.#totals.set(status.type, (totals = { processed: 0, running: 0 }));
        totals.running += 1;
        const last = this.#seen.get(key);
        if (last === undefined) {
          totals.processed += status.processed;
          this.#seen.set(key, { processed: status.processed, restarts: status.restarts, round });
          continue;
        }
        const restarted = status.restarts !== last.restarts || status.processed < last.processed;
        totals.processed += restarted ? status.processed : status.processed - last.processed;
        last.processed = status.processed;
        last.restarts = status.restarts;
        last.round = round;
      }
    }
    for (const [key, seen] of this.#seen) if (seen.round !== round) this.#seen.delete(key);
    return this.#totals;
  }
}
