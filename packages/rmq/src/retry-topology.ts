/**
 * Delayed retry on the broker, holding nothing unacknowledged: a copy of the message waits in a retry queue
 * `<queue>.retry.<ms>` whose messages expire after `<ms>` (`x-message-ttl`) and are then dead-lettered, through the
 * default exchange, back to `<queue>` (`x-dead-letter-exchange: ''`, `x-dead-letter-routing-key: <queue>`). Nothing
 * consumes a retry queue; the broker moves the copies.
 *
 * The TTL is the queue's, not the message's, so copies leave in order and none waits behind a longer one. Delays are
 * rounded up to a bucket of the R10 series (1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8 times a power of ten, in ms), so a
 * copy comes back at most 26% late and a queue has at most ten retry queues per decade of delay (about 80 between
 * 10 ms and a day), however much jitter the node's backoff adds. Retry queues are declared on first use, durable, with
 * the adapter's queue arguments; they are never deleted by the adapter (an empty one costs the broker next to nothing).
 */
import type { QueueArgumentValue } from './options.js';

const R10 = [100, 125, 160, 200, 250, 315, 400, 500, 630, 800] as const;

/** The delay a retry queue holds a copy for `delayMs`: the smallest bucket not below it. */
export function retryBucketMs(delayMs: number): number {
  if (delayMs <= 10) return Math.max(1, Math.ceil(delayMs));
  let scale = 0.1; // R10 values are hundreds: 100 * 0.1 = 10 ms is the first decade's start
  for (;;) {
    for (const step of R10) {
      const bucket = Math.round(step * scale);
      if (bucket >= delayMs) return bucket;
    }
    scale *= 10;
  }
}

export function retryQueueName(queue: string, bucketMs: number): string {
  return `${queue}.retry.${bucketMs}`;
}

/** The arguments of the retry queue for `queue` with `bucketMs`. */
export function retryQueueArguments(
  queue: string,
  bucketMs: number,
  base: Readonly<Record<string, QueueArgumentValue>>,
): Record<string, QueueArgumentValue> {
  return {
    ...base,
    'x-message-ttl': bucketMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
  };
}
