/**
 * An adapter wrapper for overlapped-batch tests: it stores every publish at once but holds its confirm until the test
 * gives it (in any order),
 * and logs publishes, confirms and settlements in the order they happen, so a test can tell what was acked before
 * its outputs were confirmed, and in which order batches were settled.
 */
import { expect } from 'vitest';
import { jsonCodec } from '../src/index.js';
import { isOrderedPublishCapable } from '../src/adapter.js';
import type {
  ConsumeOptions,
  Delivery,
  OrderedPublishCapable,
  OutgoingMessage,
  PublishLane,
  StreamConsumer,
} from '../src/adapter.js';
import { PassThroughAdapter } from './helpers.js';

export type Event =
  | { readonly kind: 'publish'; readonly call: number; readonly values: unknown[] }
  | { readonly kind: 'confirm'; readonly call: number }
  | { readonly kind: 'ack' | 'requeue'; readonly values: unknown[] };

function values(messages: readonly { body: Uint8Array }[]): unknown[] {
  return messages.map((message) => jsonCodec.decode(message.body));
}

export class ConfirmingAdapter extends PassThroughAdapter {
  readonly log: Event[] = [];
  /** Publishes not yet confirmed, by call number. */
  private readonly held = new Map<number, () => void>();
  private readonly failures = new Map<number, () => void>();
  private calls = 0;
  private heldWaiters: { count: number; wake: () => void }[] = [];
  /** When false, publishes go through at once. */
  holding = true;
  /** The most publishes held at once. */
  maxHeld = 0;
  /** The consumers opened through it. */
  readonly consumers: LoggingConsumer[] = [];

  override async consume(queue: string, options: ConsumeOptions): Promise<StreamConsumer> {
    const consumer = new LoggingConsumer(await this.inner.consume(queue, options), this.log);
    this.consumers.push(consumer);
    return consumer;
  }

  override publish(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.hold(messages, (batch) => this.inner.publish(batch));
  }

  /** Logs a publish call and stores it with `store` at once; its outcome waits for the test while `holding`. */
  protected hold(
    messages: readonly OutgoingMessage[],
    store: (messages: readonly OutgoingMessage[]) => Promise<void>,
  ): Promise<void> {
    const call = ++this.calls;
    this.log.push({ kind: 'publish', call, values: values(messages) });
    if (!this.holding) return store(messages);
    // Stored at once, in call order, as a broker does; only the confirm waits for the test.
    const stored = store(messages);
    return new Promise<void>((resolve, reject) => {
      this.held.set(call, () => {
        this.failures.delete(call);
        this.log.push({ kind: 'confirm', call });
        stored.then(resolve, reject);
      });
      this.failures.set(call, () => reject(new Error('the broker nacked the publish')));
      this.maxHeld = Math.max(this.maxHeld, this.held.size);
      for (const waiter of this.heldWaiters) if (this.held.size >= waiter.count) waiter.wake();
    });
  }

  /** Resolves once `count` publishes are held. */
  whenHeld(count: number): Promise<void> {
    if (this.held.size >= count) return Promise.resolve();
    return new Promise((wake) => this.heldWaiters.push({ count, wake }));
  }

  /** Publish calls held now, oldest first. */
  get heldCalls(): number[] {
    return [...this.held.keys()];
  }

  /** Confirms publish `call`: it resolves. */
  confirm(call: number): void {
    const release = this.held.get(call);
    if (release === undefined) throw new Error(`publish ${call} is not held`);
    this.held.delete(call);
    release();
  }

  /** Fails publish `call`: it rejects, as a broker's nack would make it. */
  fail(call: number): void {
    const release = this.failures.get(call);
    if (release === undefined) throw new Error(`publish ${call} is not held`);
    this.held.delete(call);
    this.failures.delete(call);
    release();
  }

  /** Stops holding, and confirms everything held. */
  release(): void {
    this.holding = false;
    for (const call of [...this.held.keys()]) this.confirm(call);
  }

  /** The values acked, in the order the acks were made. */
  acked(): unknown[] {
    return this.log.flatMap((event) => (event.kind === 'ack' ? event.values : []));
  }
}

/**
 * A `ConfirmingAdapter` that is `OrderedPublishCapable`: a node publishes through its lanes, whose calls overlap (each
 * held until the test confirms it). Lane calls go to the inner adapter's own lane when it has one (RabbitMQ: written
 * in call order on one channel), else to its `publish` (the in-memory adapter stores each call at once).
 */
export class LaneConfirmingAdapter extends ConfirmingAdapter implements OrderedPublishCapable {
  /** Lanes handed out, and how many of them were closed. */
  lanes = 0;
  lanesClosed = 0;

  publishLane(): PublishLane {
    this.lanes += 1;
    const inner: PublishLane | undefined = isOrderedPublishCapable(this.inner)
      ? this.inner.publishLane()
      : undefined;
    return {
      publish: (messages) =>
        this.hold(messages, (batch) =>
          inner === undefined ? this.inner.publish(batch) : inner.publish(batch),
        ),
      close: () => {
        this.lanesClosed += 1;
        inner?.close();
      },
    };
  }
}

export class LoggingConsumer implements StreamConsumer {
  constructor(
    readonly inner: StreamConsumer,
    private readonly log: Event[],
  ) {}

  get queue(): string {
    return this.inner.queue;
  }
  nextBatch(options: Parameters<StreamConsumer['nextBatch']>[0]): Promise<Delivery[]> {
    return this.inner.nextBatch(options);
  }
  ack(deliveries: readonly Delivery[]): Promise<void> {
    this.log.push({ kind: 'ack', values: values(deliveries) });
    return this.inner.ack(deliveries);
  }
  requeue(deliveries: readonly Delivery[]): Promise<void> {
    this.log.push({ kind: 'requeue', values: values(deliveries) });
    return this.inner.requeue(deliveries);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Lets pending promise chains and timers of 0 run. */
export async function settleDown(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (turn by turn, at most ~2 s) for `condition`. */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(condition()).toBe(true);
}
