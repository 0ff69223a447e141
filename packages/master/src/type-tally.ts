/**
 * Per node type: nodes running (and of those, stopping), starts outstanding, and workers offering it, counted in one
 * pass over the workers.
 * Counting type by type (a pass over every worker's nodes per type) cost types x nodes: with 1,000 types and 80,000
 * nodes, 8 x 10^7 steps for each RECIPE-INFO and each reconciliation.
 */
import type { WorkerRecord } from './worker-record.js';

export interface TypeTally {
  running: number;
  /** Of those running, the ones a STOP-NODE is out for. */
  stopping: number;
  outstanding: number;
  /** Workers whose system offers the type. */
  offering: number;
}

/** `offering`: the workers offering each type, as the cluster keeps them (counting them per worker cost a lookup per recipe). */
export function tallyTypes(
  workers: Iterable<WorkerRecord>,
  offering: ReadonlyMap<string, ReadonlySet<WorkerRecord>>,
): Map<string, TypeTally> {
  const tallies = new Map<string, TypeTally>();
  const of = (type: string): TypeTally => {
    let tally = tallies.get(type);
    if (!tally) {
      tally = { running: 0, stopping: 0, outstanding: 0, offering: 0 };
      tallies.set(type, tally);
    }
    return tally;
  };
  for (const worker of workers) {
    for (const node of worker.nodes.values()) of(node.type).running += 1;
    for (const name of worker.stopping) {
      const node = worker.nodes.get(name);
      if (node !== undefined) of(node.type).stopping += 1;
    }
    for (const [type, count] of worker.outstanding) of(type).outstanding += count;
  }
  for (const [type, offeredBy] of offering) of(type).offering = offeredBy.size;
  return tallies;
}
