/**
 * The in-memory StreamAdapter: the embedded default, used by the demo and by unit tests of users' systems. It keeps
 * the contract's semantics in one process (bounded queues, unacknowledged messages redelivered when their consumer
 * closes, attempt counts in headers) and implements delayed retry natively, holding nothing unacknowledged.
 *
 * "Durable" here means stored in the broker object: messages outlive the adapters connected to it, not the process.
 */
import { Lifecycle } from '@monomyth/mmop';
import { DrainGate } from '../drain-gate.js';
import { AdapterClosedError, MessagesRejectedError, UnknownQueueError } from '../errors.js';
import type { RejectedMessage } from '../errors.js';
import { NO_HEADERS, attemptOf } from '../headers.js';
import type {
  AdapterCloseOptions,
  ConsumeOptions,
  DelayedRetry,
  DelayedRetryCapable,
  OrderedPublishCapable,
  OutgoingMessage,
  PublishLane,
  QueueStats,
  QueueStatsCapable,
  StreamAdapter,
  StreamConsumer,
} from '../stream-adapter.js';
import type {
  FailedMessagesCapable,
  MoveMessagesOptions,
  PeekedMessage,
} from '../failed-messages.js';
import { MemoryBroker, MemoryDelivery } from './memory-broker.js';
import * as failed from './memory-failed-messages.js';
import type { MemoryBrokerOptions, MemoryQueue } from './memory-broker.js';
import { MemoryConsumer } from './memory-consumer.js';
import { MemoryPublishLane } from './memory-publish-lane.js';
import type { ConsumerOwner } from './memory-consumer.js';

export interface MemoryStreamAdapterOptions extends MemoryBrokerOptions {
  /**
   * The broker to connect to, shared with other adapters (as processes share RabbitMQ). Default: a broker of its own,
   * whose delayed retries are released into their queues when the adapter closes.
   */
  readonly broker?: MemoryBroker;
  /**
   * The largest message this adapter stores, in bytes (the body, plus each header's name and value as text): a
   * publish skips larger ones and rejects with `MessagesRejectedError`, as a real broker refuses what is over its
   * limit. For tests of what a node does with a message the stream refuses. @default no limit
   */
  readonly maxMessageBytes?: number;
}

type AdapterState = 'created' | 'open' | 'closing' | 'closed';

/** Nothing in memory fails for good: no `failed` state. */
const ADAPTER_TRANSITIONS = {
  created: ['open', 'closing'],
  open: ['closing'],
  closing: ['closed'],
  closed: [],
} as const satisfies Record<AdapterState, readonly AdapterState[]>;

export class MemoryStreamAdapter
  implements
    StreamAdapter,
    DelayedRetryCapable,
    QueueStatsCapable,
    OrderedPublishCapable,
    FailedMessagesCapable,
    ConsumerOwner
{
  readonly broker: MemoryBroker;
  private readonly ownsBroker: boolean;
  private readonly life = new Lifecycle<AdapterState>({
    component: 'memory adapter',
    initial: 'created',
    transitions: ADAPTER_TRANSITIONS,
  });
  private readonly consumers = new Set<MemoryConsumer>();
  /** Publishes waiting for room in a full queue. */
  private waitingPublishes = 0;
  private closing: Promise<void> | undefined;
  private readonly drainGate = new DrainGate(() => this.isDrained());
  private readonly shutdownWaiters = new Set<() => void>();
  private readonly maxMessageBytes: number;

  constructor(options: MemoryStreamAdapterOptions = {}) {
    const max = options.maxMessageBytes ?? Number.POSITIVE_INFINITY;
    if (!(max === Number.POSITIVE_INFINITY || (Number.isSafeInteger(max) && max >= 1))) {
      throw new RangeError(`maxMessageBytes must be a whole number >= 1, got ${String(max)}`);
    }
    this.maxMessageBytes = max;
    if (options.broker !== undefined && options.maxQueueLength !== undefined) {
      throw new TypeError(
        'maxQueueLength belongs to the broker: set it there, not beside a shared broker',
      );
    }
    this.ownsBroker = options.broker === undefined;
    this.broker = options.broker ?? new MemoryBroker(options);
  }

  get handingOut(): boolean {
    return this.life.is('open');
  }

  open(): Promise<void> {
    if (this.life.is('closing', 'closed')) {
      return Promise.reject(
        new AdapterClosedError('open', this.life.is('closing') ? 'closing' : 'closed'),
      );
    }
    this.life.to('open');
    return Promise.resolve();
  }

  close(options: AdapterCloseOptions = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const drainTimeoutMs = options.drainTimeoutMs ?? 0;
    const wasOpen = this.life.is('open');
    this.life.to('closing');
    this.closing = (async () => {
      if (wasOpen && drainTimeoutMs > 0) await this.drainGate.wait(drainTimeoutMs);
      this.life.to('closed');
      for (const consumer of [...this.consumers]) consumer.shut();
      for (const wake of this.shutdownWaiters) wake();
      this.shutdownWaiters.clear();
      if (this.ownsBroker) this.broker.releaseDelayed();
    })();
    return this.closing;
  }

  declareQueue(queue: string): Promise<void> {
    if (!this.life.is('open')) return this.refuse('declare a queue');
    if (typeof queue !== 'string' || queue.length === 0) {
      return Promise.reject(new TypeError('a queue name is a non-empty string'));
    }
    this.broker.declare(queue);
    return Promise.resolve();
  }

  consume(queue: string, options: ConsumeOptions): Promise<StreamConsumer> {
    if (!this.life.is('open')) return this.refuse('consume');
    const { maxUnacked } = options;
    if (!(Number.isSafeInteger(maxUnacked) && maxUnacked >= 1)) {
      return Promise.reject(
        new RangeError(`maxUnacked must be a whole number >= 1, got ${String(maxUnacked)}`),
      );
    }
    const source = this.broker.queue(queue);
    if (source === undefined) return Promise.reject(new UnknownQueueError('consume', queue));
    let failQueue: MemoryQueue | undefined;
    if (options.failQueue !== undefined) {
      failQueue = this.broker.queue(options.failQueue);
      if (failQueue === undefined)
        return Promise.reject(new UnknownQueueError('consume', options.failQueue));
    }
    const consumer = new MemoryConsumer(source, maxUnacked, this, failQueue);
    this.consumers.add(consumer);
    return Promise.resolve(consumer);
  }

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (!this.life.is('open', 'closing')) return this.refuse('publish');
    // Every queue is checked before anything is stored, so an unknown queue rejects a batch that left no trace.
    const queues: MemoryQueue[] = new Array<MemoryQueue>(messages.length);
    let last: MemoryQueue | undefined;
    let rejected: RejectedMessage[] | undefined;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as OutgoingMessage;
      if (!(message.body instanceof Uint8Array)) {
        return Promise.reject(new TypeError(`message ${i}: the body must be a Uint8Array`));
      }
      if (this.maxMessageBytes !== Number.POSITIVE_INFINITY) {
        const size = messageSize(message);
        if (size > this.maxMessageBytes) {
          (rejected ??= []).push({
            index: i,
            reason: `a message of ${size} bytes, over this adapter's maxMessageBytes of ${this.maxMessageBytes}`,
          });
        }
      }
      if (last === undefined || last.name !== message.queue) {
        last = this.broker.queue(message.queue);
        if (last === undefined)
          return Promise.reject(new UnknownQueueError('publish', message.queue));
      }
      queues[i] = last;
    }
    if (rejected !== undefined) return this.publishSlowly(messages, queues, 0, rejected);
    for (let i = 0; i < messages.length; i++) {
      const queue = queues[i] as MemoryQueue;
      if (!queue.hasRoom) return this.publishSlowly(messages, queues, i, undefined);
      const message = messages[i] as OutgoingMessage;
      queue.push(MemoryDelivery.of(queue.name, message.body, message.headers));
      // Hand messages out as they come rather than after the whole batch: that keeps one queue's dispatch cheap and
      // the next node busy. Queues without waiting consumers return at once.
      if (i + 1 === messages.length || queues[i + 1] !== queue) queue.dispatch();
    }
    return Promise.resolve();
  }

  /** An ordered lane (memory-publish-lane.ts): calls stored in call order, even when a full queue makes one wait. */
  publishLane(): PublishLane {
    return new MemoryPublishLane(this);
  }

  retryLater(retries: readonly DelayedRetry[]): Promise<void> {
    if (!this.life.is('open', 'closing')) return this.refuse('retry later');
    const planned: [MemoryQueue, MemoryDelivery, number][] = [];
    let rejected: RejectedMessage[] | undefined;
    for (const [index, { delivery, delayMs, headers }] of retries.entries()) {
      const queue = this.broker.queue(delivery.queue);
      if (queue === undefined)
        return Promise.reject(new UnknownQueueError('retry later', delivery.queue));
      if (!(Number.isFinite(delayMs) && delayMs >= 0)) {
        return Promise.reject(new RangeError(`delayMs must be >= 0, got ${String(delayMs)}`));
      }
      const merged = { ...delivery.headers, ...headers };
      const size = messageSize({ queue: queue.name, body: delivery.body, headers: merged });
      if (size > this.maxMessageBytes) {
        (rejected ??= []).push({
          index,
          reason: `a message of ${size} bytes, over this adapter's maxMessageBytes of ${this.maxMessageBytes}`,
        });
        continue;
      }
      planned.push([
        queue,
        new MemoryDelivery(queue.name, delivery.body, merged, attemptOf(merged), false),
        delayMs,
      ]);
    }
    for (const [queue, copy, delayMs] of planned) this.broker.delay(queue, copy, delayMs);
    if (rejected !== undefined)
      return Promise.reject(new MessagesRejectedError('retry later', rejected, retries.length));
    return Promise.resolve();
  }

  queueStats(queue: string): Promise<QueueStats> {
    if (!this.life.is('open')) return this.refuse('read queue stats');
    const found = this.broker.queue(queue);
    if (found === undefined)
      return Promise.reject(new UnknownQueueError('read queue stats', queue));
    return Promise.resolve(found.stats());
  }

  // FailedMessagesCapable (memory-failed-messages.ts): one synchronous step each, so nothing half done.
  countMessages(queue: string): Promise<number> {
    return this.whileOpen('count messages', () => failed.countMessages(this.broker, queue));
  }

  peekMessages(queue: string, max: number): Promise<PeekedMessage[]> {
    return this.whileOpen('peek', () => failed.peekMessages(this.broker, queue, max));
  }

  moveMessages(from: string, to: string, options?: MoveMessagesOptions): Promise<number> {
    return this.whileOpen('move messages', () =>
      failed.moveMessages(this.broker, from, to, options),
    );
  }

  purgeMessages(queue: string): Promise<number> {
    return this.whileOpen('purge', () => failed.purgeMessages(this.broker, queue));
  }

  private whileOpen<T>(operation: string, act: () => T): Promise<T> {
    if (!this.life.is('open')) return this.refuse(operation);
    try {
      return Promise.resolve(act());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** @internal Called by consumers when their unacknowledged set shrinks. */
  settled(): void {
    this.drainGate.check();
  }

  /** @internal Called by a consumer when it closes. */
  closed(consumer: MemoryConsumer): void {
    this.consumers.delete(consumer);
    this.drainGate.check();
  }

  /** Publishing that may wait for room, or skips refused messages (`rejected`, ascending) and then rejects. */
  private async publishSlowly(
    messages: readonly OutgoingMessage[],
    queues: readonly MemoryQueue[],
    from: number,
    rejected: readonly RejectedMessage[] | undefined,
  ): Promise<void> {
    this.waitingPublishes += 1;
    let skip = 0;
    try {
      for (let i = from; i < messages.length; i++) {
        if (rejected !== undefined && rejected[skip]?.index === i) {
          skip += 1;
          continue;
        }
        const queue = queues[i] as MemoryQueue;
        while (!queue.hasRoom) {
          await this.untilShutdownOr(queue.waitForRoom());
          if (this.life.is('closed')) throw new AdapterClosedError('publish', 'closed');
        }
        const message = messages[i] as OutgoingMessage;
        queue.push(MemoryDelivery.of(queue.name, message.body, message.headers ?? NO_HEADERS));
        queue.dispatch();
      }
    } finally {
      this.waitingPublishes -= 1;
      this.drainGate.check();
    }
    if (rejected !== undefined)
      throw new MessagesRejectedError('publish', rejected, messages.length);
  }

  private untilShutdownOr(promise: Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.shutdownWaiters.delete(wake);
        resolve();
      };
      this.shutdownWaiters.add(wake);
      void promise.then(wake);
    });
  }

  private isDrained(): boolean {
    if (this.waitingPublishes > 0) return false;
    for (const consumer of this.consumers) if (consumer.unackedCount > 0) return false;
    return true;
  }

  private refuse<T>(operation: string): Promise<T> {
    const current = this.life.state;
    const state = current === 'created' ? 'not open' : current;
    return Promise.reject(new AdapterClosedError(operation, state === 'open' ? 'closing' : state));
  }
}

/** A message's size as `maxMessageBytes` counts it: the body, and each header's name and value as text. */
function messageSize(message: OutgoingMessage): number {
  let size = message.body.byteLength;
  const headers = message.headers;
  if (headers !== undefined)
    for (const name in headers) size += name.length + String(headers[name]).length;
  return size;
}
