/**
 * Reads the counts of source queues from a worker's adapter, for the heartbeats (the master shows them as backlog and
 * the autoscaler scales on them): the source queues of the nodes the worker runs, and those of the types it offers but
 * runs no node of (idle types, at most `MAX_IDLE_QUEUES`), so that a type scaled down to no node at all still has a
 * backlog figure and can be scaled up again. Called once per heartbeat interval from the main thread, never per message
 * or per batch; a read still in flight when the next is due is not doubled (the next one is skipped), so a slow broker
 * costs at most one request per queue at a time. An adapter without the optional `QueueStatsCapable` capability is
 * never asked: heartbeats then carry no `queues`.
 */
import type { QueueCounts } from '@monomyth/mmop';
import { UnknownQueueError, isQueueStatsCapable } from '@monomyth/node/adapter';
import type { StreamAdapter } from '@monomyth/node';

/**
 * The most idle types' source queues a worker reads per heartbeat (the first in name order): a worker offering more
 * types than that reports the backlog of only these while they run no node.
 */
export const MAX_IDLE_QUEUES = 64;
/**
 * How many reads skip an idle type's queue found missing (not declared yet: the type never ran): on RabbitMQ, asking
 * about a queue that does not exist is a channel error and a line in the broker's log, which would otherwise come
 * every heartbeat for every such type.
 */
export const MISSING_IDLE_QUEUE_SKIPS = 30;

export class QueueStatsReader {
  readonly #adapter: StreamAdapter;
  /** The source queues of the nodes that run (generators have none). */
  readonly #running: () => Iterable<string>;
  /** The source queues of every type offered, once each, by name (those also running are read once). */
  readonly #offered: readonly string[];
  #reading = false;
  /** Idle queues found missing, and how many more reads skip them. */
  readonly #missing = new Map<string, number>();

  /** `offered`: the recipes of the types the worker offers; their source queues are fixed, so they are listed once. */
  constructor(
    adapter: StreamAdapter,
    running: () => Iterable<string>,
    offered: readonly { readonly source: string | null }[] = [],
  ) {
    this.#adapter = adapter;
    this.#running = running;
    this.#offered = [
      ...new Set(offered.flatMap(({ source }) => (source === null ? [] : [source]))),
    ].sort();
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
      const running = new Set(this.#running());
      for (const queue of running) this.#missing.delete(queue);
      const idle = this.#offered.filter(
        (queue) => !running.has(queue) && !this.#skipMissing(queue),
      );
      const names = [...running, ...idle.slice(0, MAX_IDLE_QUEUES)].sort();
      const settled = await Promise.allSettled(names.map((queue) => adapter.queueStats(queue)));
      const counts: QueueCounts[] = [];
      settled.forEach((result, i) => {
        if (result.status !== 'fulfilled') {
          const queue = names[i] as string;
          if (result.reason instanceof UnknownQueueError && !running.has(queue))
            this.#missing.set(queue, MISSING_IDLE_QUEUE_SKIPS);
          return;
        }
        const { ready, unacked, consumers } = result.value;
        counts.push({ queue: names[i] as string, ready, unacked, consumers });
      });
      return counts;
    } finally {
      this.#reading = false;
    }
  }

  /** True while `queue`, found missing, is skipped; counts the skip. */
  #skipMissing(queue: string): boolean {
    const skips = this.#missing.get(queue);
    if (skips === undefined) return false;
    if (skips <= 1) this.#missing.delete(queue);
    else this.#missing.set(queue, skips - 1);
    return true;
  }
}
