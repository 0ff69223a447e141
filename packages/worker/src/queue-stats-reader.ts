/**
 * Reads the counts of the source queues of the nodes a worker runs from its adapter, for the heartbeats (the master
 * shows them as backlog and the autoscaler scales on them). Called once per heartbeat interval from the main thread,
 * never per message or per batch; a read still in flight when the next is due is not doubled (the next one is skipped),
 * so a slow broker costs at most one request per queue at a time. An adapter without the optional `QueueStatsCapable`
 * capability is never asked: heartbeats then carry no `queues`.
 */
import type { QueueCounts } from '@monomyth/mmop';
import { isQueueStatsCapable } from '@monomyth/node/adapter';
import type { StreamAdapter } from '@monomyth/node';

export class QueueStatsReader {
  readonly #adapter: StreamAdapter;
  /** The queues to read now: the source queues of the nodes that run (generators have none). */
  readonly #queues: () => Iterable<string>;
  #reading = false;

  constructor(adapter: StreamAdapter, queues: () => Iterable<string>) {
    this.#adapter = adapter;
    this.#queues = queues;
  }

  /** Whether the adapter can report queue counts at all. */
  get capable(): boolean {
    return isQueueStatsCapable(this.#adapter);
  }

  /**
   * The counts of every source queue, or undefined when the adapter cannot report them or a read is already in
   * flight. A queue the adapter cannot read now (not declared yet, the adapter reconnecting) is left out of this
   * report rather than reported as empty: zero would read as "no backlog".
   */
  async read(): Promise<QueueCounts[] | undefined> {
    const adapter = this.#adapter;
    if (this.#reading || !isQueueStatsCapable(adapter)) return undefined;
    this.#reading = true;
    try {
      const names = [...new Set(this.#queues())].sort();
      const settled = await Promise.allSettled(names.map((queue) => adapter.queueStats(queue)));
      const counts: QueueCounts[] = [];
      settled.forEach((result, i) => {
        if (result.status !== 'fulfilled') return;
        const { ready, unacked, consumers } = result.value;
        counts.push({ queue: names[i] as string, ready, unacked, consumers });
      });
      return counts;
    } finally {
      this.#reading = false;
    }
  }
}
