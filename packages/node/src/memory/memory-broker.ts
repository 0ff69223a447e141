/**
 * The in-memory backend: named queues of messages in one process, shared by any number of `MemoryStreamAdapter`s the
 * way a broker is shared by connections. Closing an adapter does not empty the queues; dropping the broker does.
 *
 * A queue holds its ready messages in order and hands them to waiting consumers; each consumer keeps its own
 * unacknowledged set (memory-consumer.ts). Queues are bounded: a publish to a full queue waits for room.
 */
import { attemptOf, NO_HEADERS } from '../headers.js';
import type { Delivery, MessageHeaders, QueueStats } from '../stream-adapter.js';
import { RingBuffer } from './ring-buffer.js';

/** Ready messages a queue holds before publishes to it wait for room. */
export const DEFAULT_MAX_QUEUE_LENGTH = 1_000_000;

export interface MemoryBrokerOptions {
  /**
   * Ready messages per queue before a publish waits for consumers to make room (unacknowledged ones do not count).
   * A node that publishes to its own full source queue would wait forever; give loops room.
   * @default DEFAULT_MAX_QUEUE_LENGTH
   */
  readonly maxQueueLength?: number;
}

/** A message in a queue, and the delivery object handed out: one allocation per message and per redelivery. */
export class MemoryDelivery implements Delivery {
  constructor(
    readonly queue: string,
    readonly body: Uint8Array,
    readonly headers: MessageHeaders,
    readonly attempt: number,
    readonly redelivered: boolean,
    /** Times handed out and given back: exact, since the broker is in this process. */
    readonly redeliveryCount = 0,
  ) {}

  static of(queue: string, body: Uint8Array, headers: MessageHeaders | undefined): MemoryDelivery {
    if (headers === undefined) return new MemoryDelivery(queue, body, NO_HEADERS, 1, false);
    return new MemoryDelivery(queue, body, headers, attemptOf(headers), false);
  }

  /** The same message, back in its queue after being handed out. */
  redelivery(): MemoryDelivery {
    return new MemoryDelivery(
      this.queue,
      this.body,
      this.headers,
      this.attempt,
      true,
      this.redeliveryCount + 1,
    );
  }
}

/** What a queue needs from a consumer: a hook to offer it messages. */
export interface QueueListener {
  /** The queue has ready messages (or the consumer has room again): take what you can. */
  offer(): void;
  /** Unacknowledged deliveries this consumer holds. */
  readonly unackedCount: number;
}

export class MemoryQueue {
  readonly ready = new RingBuffer<MemoryDelivery>();
  private readonly listeners: QueueListener[] = [];
  private roomWaiters: (() => void)[] = [];
  /** Rotates which consumer is offered first, so several consumers of one queue share it. */
  private nextListener = 0;

  constructor(
    readonly name: string,
    private readonly maxLength: number,
  ) {}

  get hasRoom(): boolean {
    return this.ready.length < this.maxLength;
  }

  attach(listener: QueueListener): void {
    this.listeners.push(listener);
  }

  detach(listener: QueueListener): void {
    const index = this.listeners.indexOf(listener);
    if (index >= 0) this.listeners.splice(index, 1);
  }

  /** Appends a message; the caller checked `hasRoom` and calls `dispatch` after its batch. */
  push(delivery: MemoryDelivery): void {
    this.ready.push(delivery);
  }

  /** Puts messages back at the head, keeping their order, and offers them again. */
  returnToHead(deliveries: readonly MemoryDelivery[]): void {
    for (let i = deliveries.length - 1; i >= 0; i--)
      this.ready.unshift((deliveries[i] as MemoryDelivery).redelivery());
    this.dispatch();
  }

  /** Takes the next ready message, waking a publisher that waits for room. */
  take(): MemoryDelivery | undefined {
    const delivery = this.ready.shift();
    if (delivery !== undefined && this.roomWaiters.length > 0 && this.hasRoom) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const wake of waiters) wake();
    }
    return delivery;
  }

  /** Offers ready messages to the attached consumers, starting with a different one each time. */
  dispatch(): void {
    const count = this.listeners.length;
    if (count === 0 || this.ready.length === 0) return;
    const start = this.nextListener++ % count;
    for (let i = 0; i < count && this.ready.length > 0; i++) {
      (this.listeners[(start + i) % count] as QueueListener).offer();
    }
  }

  /** Resolves when the queue has room for one more message. */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  stats(): QueueStats {
    let unacked = 0;
    for (const listener of this.listeners) unacked += listener.unackedCount;
    return { ready: this.ready.length, unacked, consumers: this.listeners.length };
  }
}

interface DelayedCopy {
  readonly queue: string;
  readonly delivery: MemoryDelivery;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class MemoryBroker {
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly delayed = new Set<DelayedCopy>();
  private readonly maxQueueLength: number;

  constructor(options: MemoryBrokerOptions = {}) {
    const max = options.maxQueueLength ?? DEFAULT_MAX_QUEUE_LENGTH;
    if (!(Number.isSafeInteger(max) && max >= 1)) {
      throw new RangeError(`maxQueueLength must be a whole number >= 1, got ${String(max)}`);
    }
    this.maxQueueLength = max;
  }

  /** Creates the queue if it does not exist; returns it either way. */
  declare(name: string): MemoryQueue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new MemoryQueue(name, this.maxQueueLength);
      this.queues.set(name, queue);
    }
    return queue;
  }

  queue(name: string): MemoryQueue | undefined {
    return this.queues.get(name);
  }

  /** The names of the declared queues, in declaration order. */
  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /**
   * Puts a copy of a message on its queue after `delayMs`. The copy lives in the broker, not in any adapter: it
   * comes back whoever is connected, as a retry queue with a TTL does on RabbitMQ.
   */
  delay(queue: MemoryQueue, delivery: MemoryDelivery, delayMs: number): void {
    const copy: DelayedCopy = {
      queue: queue.name,
      delivery,
      timer: setTimeout(() => {
        this.delayed.delete(copy);
        this.release(queue, delivery);
      }, delayMs),
    };
    this.delayed.add(copy);
  }

  /** Copies waiting for their delay. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  /**
   * Puts every delayed copy on its queue now and cancels the timers, so that dropping the broker leaves no timer
   * running and no copy behind.
   */
  releaseDelayed(): void {
    for (const copy of this.delayed) {
      clearTimeout(copy.timer);
      const queue = this.queues.get(copy.queue);
      if (queue !== undefined) this.release(queue, copy.delivery);
    }
    this.delayed.clear();
  }

  /** Stores a message past the queue's bound: for copies nothing waits on (delayed retries, dead letters). */
  release(queue: MemoryQueue, delivery: MemoryDelivery): void {
    // A retry must not be lost to a full queue, and nothing waits on it: it goes in past the bound.
    queue.push(delivery);
    queue.dispatch();
  }
}
