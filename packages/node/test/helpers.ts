/**
 * Small helpers for the node tests: put values on a queue, read what nodes wrote, and an adapter wrapper that fails
 * on demand. (@monomyth/testing has fuller ones for users; it depends on this package, so these tests cannot use it.)
 */
import { jsonCodec } from '../src/index.js';
import type {
  Delivery,
  MessageHeaders,
  OutgoingMessage,
  StreamAdapter,
  StreamConsumer,
} from '../src/adapter.js';
import { MemoryStreamAdapter } from '../src/memory/index.js';

export async function openMemory(): Promise<MemoryStreamAdapter> {
  const adapter = new MemoryStreamAdapter();
  await adapter.open();
  return adapter;
}

/** Declares `queue` and publishes each value as JSON (with `headers`, if given). */
export async function push(
  adapter: StreamAdapter,
  queue: string,
  values: readonly unknown[],
  headers?: MessageHeaders,
): Promise<void> {
  await adapter.declareQueue(queue);
  await adapter.publish(values.map((value) => ({ queue, body: jsonCodec.encode(value), headers })));
}

/**
 * Reads exactly `count` messages from `queue` (waiting for them to arrive, event-driven) and acks them. Fails the
 * test if they do not all arrive within `timeoutMs`.
 */
export async function take(
  adapter: StreamAdapter,
  queue: string,
  count: number,
  timeoutMs = 5000,
): Promise<Delivery[]> {
  await adapter.declareQueue(queue);
  const consumer = await adapter.consume(queue, { maxUnacked: Math.max(1, count) });
  const signal = AbortSignal.timeout(timeoutMs);
  const got: Delivery[] = [];
  try {
    while (got.length < count) {
      const batch = await consumer.nextBatch({ max: count - got.length, timeoutMs: 0, signal });
      if (batch.length === 0 && signal.aborted) {
        throw new Error(`only ${got.length} of ${count} messages arrived on ${queue}`);
      }
      got.push(...batch);
      await consumer.ack(batch);
    }
  } finally {
    await consumer.close();
  }
  return got;
}

export async function takeValues(
  adapter: StreamAdapter,
  queue: string,
  count: number,
): Promise<unknown[]> {
  return (await take(adapter, queue, count)).map((delivery) => jsonCodec.decode(delivery.body));
}

/** The ready count of a queue in the in-memory adapter. */
export async function ready(adapter: MemoryStreamAdapter, queue: string): Promise<number> {
  return (await adapter.queueStats(queue)).ready;
}

/** A promise and its resolver, for tests that hold a transform until they let it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * Wraps an adapter: `failPublish` makes the next publishes reject (counting down), and the wrapper has no
 * `retryLater`, so nodes fall back to holding retries. Everything else passes through.
 */
export class FaultyAdapter implements StreamAdapter {
  failPublishes = 0;
  readonly published: OutgoingMessage[][] = [];

  constructor(readonly inner: StreamAdapter) {}

  open(): Promise<void> {
    return this.inner.open();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  declareQueue(queue: string): Promise<void> {
    return this.inner.declareQueue(queue);
  }
  consume(queue: string, options: { maxUnacked: number }): Promise<StreamConsumer> {
    return this.inner.consume(queue, options);
  }
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.failPublishes > 0) {
      this.failPublishes -= 1;
      return Promise.reject(new Error('broker said no'));
    }
    this.published.push([...messages]);
    return this.inner.publish(messages);
  }
}
