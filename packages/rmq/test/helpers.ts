/** What the RabbitMQ adapter's integration tests share: unique names, a reader of a queue, and polling with a deadline. */
import { randomUUID } from 'node:crypto';
import { jsonCodec } from '@monomyth/node';
import type { Node } from '@monomyth/node';
import type { Delivery, StreamAdapter, StreamConsumer } from '@monomyth/node/adapter';

/** A prefix unique to this test run, so tests sharing one broker never share a queue. */
export function uniqueName(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** Publishes `values` as JSON to `queue` (declared first), in batches of `batchSize`. */
export async function publishValues(
  adapter: StreamAdapter,
  queue: string,
  values: readonly unknown[],
  batchSize = 1000,
): Promise<void> {
  await adapter.declareQueue(queue);
  for (let i = 0; i < values.length; i += batchSize) {
    await adapter.publish(
      values.slice(i, i + batchSize).map((value) => ({ queue, body: jsonCodec.encode(value) })),
    );
  }
}

/**
 * Reads `queue` until `done(received)` says so, acking as it goes, and returns every delivery (duplicates included).
 * Event-driven: it wakes on arrivals. Fails when `timeoutMs` passes first.
 */
export async function collect(
  adapter: StreamAdapter,
  queue: string,
  done: (received: readonly Delivery[]) => boolean,
  timeoutMs: number,
  maxUnacked = 500,
): Promise<Delivery[]> {
  await adapter.declareQueue(queue);
  const consumer: StreamConsumer = await adapter.consume(queue, { maxUnacked });
  const signal = AbortSignal.timeout(timeoutMs);
  const received: Delivery[] = [];
  try {
    while (!done(received)) {
      const batch = await consumer.nextBatch({ max: maxUnacked, timeoutMs: 20, signal });
      received.push(...batch);
      if (batch.length > 0) await consumer.ack(batch);
      if (signal.aborted && !done(received)) {
        throw new Error(
          `reading ${queue}: condition not met within ${timeoutMs} ms (${received.length} read)`,
        );
      }
    }
  } finally {
    await consumer.close();
  }
  return received;
}

export function valuesOf(deliveries: readonly Delivery[]): unknown[] {
  return deliveries.map((delivery) => jsonCodec.decode(delivery.body));
}

/** Polls `condition` every `everyMs` until it holds; for states the broker sends no event about (queue counts). */
export async function until(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function stopAll(nodes: readonly Node[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.drain(5_000)));
}
