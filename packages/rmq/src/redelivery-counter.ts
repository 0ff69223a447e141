/**
 * Redelivery counts for classic queues, which keep none: AMQP 0-9-1 says only whether a message was delivered before.
 * The adapter counts the redeliveries it sees, by queue and body digest, for messages that arrive `redelivered`; first
 * deliveries cost nothing. The adapter outlives its nodes (one per process), so a node that crashes on a message and
 * is started again sees the count go up; a process that dies takes the counts with it (quorum queues keep theirs on
 * the broker). Two messages with the same body in one queue share a count: they may be failed early, never late.
 */
import { createHash } from 'node:crypto';

/** Counts kept; the oldest are forgotten beyond it (a message redelivered that long ago is no longer looping). */
const MAX_ENTRIES = 10_000;

export class RedeliveryCounter {
  private readonly counts = new Map<string, number>();

  /** Counts one more redelivery of `body` on `queue` and returns the count (1 the first time). */
  redelivered(queue: string, body: Uint8Array): number {
    const key = `${queue}\u0000${createHash('sha1').update(body).digest('base64')}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    // Re-inserting moves the key to the end: the Map's order is least recently redelivered first.
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > MAX_ENTRIES) {
      for (const oldest of this.counts.keys()) {
        this.counts.delete(oldest);
        break;
      }
    }
    return count;
  }
}
