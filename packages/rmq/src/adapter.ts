/**
 * RabbitMqStreamAdapter: the StreamAdapter contract (see @monomyth/node's stream-adapter.ts) on RabbitMQ, with amqplib.
 *
 * Two connections per adapter, and one adapter per process (the worker's): one connection consumes, one publishes, so
 * flow control on publishing never stalls consuming. A channel per consumer (per node) with the node's `maxUnacked` as
 * its prefetch; confirm channels for publishing, one per batch in flight, or one per ordered lane (consumer.ts,
 * publisher.ts, publish-lane.ts). Queues durable, messages persistent, every publish confirmed before it resolves.
 *
 * Declarations and queue checks go through one admin channel (topology.ts), which remembers what it declared and
 * declares it again on every new connection before consumers resume. Publishing to a queue this adapter has not seen
 * checks once that it exists (so a publish to an undeclared queue rejects with `UnknownQueueError` and leaves no
 * trace); after that, `mandatory` publishing catches a queue deleted under a running system.
 *
 * Queues are quorum queues unless `queueType` says classic, declared with a dead-letter exchange so that a node can
 * have the broker move a poison message to its fail queue untouched (`deadLetter`, see queue-arguments.ts); on quorum
 * queues the broker's `x-delivery-limit` backs up the nodes' own redelivery limit. Deliveries carry a redelivery
 * count: the quorum queue's `x-delivery-count`, or on classic queues a count this adapter keeps for redelivered
 * messages (redelivery-counter.ts).
 *
 * Connection loss (connection-keeper.ts): consumers pause and resume on a new channel, publishes in flight are sent
 * again, declarations and dead-letter bindings are repeated. Once the keeper gives up, every operation rejects with
 * `RabbitMqConnectionError` and consumers' `nextBatch` with it too, so nodes stop and their supervisor takes over.
 */
import {
  AdapterClosedError,
  DrainGate,
  MessagesRejectedError,
  UnknownQueueError,
} from '@monomyth/node/adapter';
import type { Logger } from '@monomyth/node';
import type {
  AdapterCloseOptions,
  ConnectionStateCapable,
  ConsumeOptions,
  DelayedRetry,
  DelayedRetryCapable,
  FailedMessagesCapable,
  MoveMessagesOptions,
  OrderedPublishCapable,
  OutgoingMessage,
  PeekedMessage,
  PublishLane,
  QueueStats,
  QueueStatsCapable,
  StreamAdapter,
  StreamConsumer,
} from '@monomyth/node/adapter';
import { Lifecycle } from '@monomyth/mmop';
import { ConnectionKeeper, KeeperClosedError } from './connection-keeper.js';
import { RabbitMqConsumer } from './consumer.js';
import type { ConsumerHost } from './consumer.js';
import type { RabbitMqConnectionError } from './errors.js';
import { compileRabbitMqOptions } from './options.js';
import type { CompiledRabbitMqOptions, RabbitMqAdapterOptions } from './options.js';
import { RabbitMqFailedMessages } from './failed-messages.js';
import { Publisher } from './publisher.js';
import { RabbitMqPublishLane } from './publish-lane.js';
import type { LaneCall, LaneHost } from './publish-lane.js';
import { RedeliveryCounter } from './redelivery-counter.js';
import { retryBucketMs } from './retry-topology.js';
import { QueueTopology } from './topology.js';

/** How long a quorum queue's consumer keeps its channel open after its last settlement (consumer.ts). */
const QUORUM_CLOSE_LINGER_MS = 100;

type AdapterState = 'created' | 'opening' | 'open' | 'closing' | 'closed' | 'failed';

const ADAPTER_TRANSITIONS = {
  created: ['opening', 'closing'],
  // Back to created when opening fails: open() may be tried again.
  opening: ['open', 'created', 'closing', 'failed'],
  open: ['closing', 'failed'],
  closing: ['closed'],
  failed: ['closed'],
  closed: [],
} as const satisfies Record<AdapterState, readonly AdapterState[]>;

export class RabbitMqStreamAdapter
  implements
    StreamAdapter,
    DelayedRetryCapable,
    QueueStatsCapable,
    ConnectionStateCapable,
    OrderedPublishCapable,
    FailedMessagesCapable
{
  readonly options: CompiledRabbitMqOptions;
  private readonly logger: Logger;
  private readonly life: Lifecycle<AdapterState>;
  private consumeKeeper: ConnectionKeeper | undefined;
  private publishKeeper: ConnectionKeeper | undefined;
  private publisher: Publisher | undefined;
  private readonly consumers = new Set<RabbitMqConsumer>();
  private readonly topology: QueueTopology;
  private publishing = 0;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly drainGate = new DrainGate(() => this.isDrained());
  private failure: RabbitMqConnectionError | undefined;
  private readonly host: ConsumerHost;
  private readonly failedMessages: RabbitMqFailedMessages;
  private announceFailure: (error: RabbitMqConnectionError) => void = () => {};
  private readonly failedForGood = new Promise<RabbitMqConnectionError>((resolve) => {
    this.announceFailure = resolve;
  });

  constructor(options: RabbitMqAdapterOptions) {
    this.options = compileRabbitMqOptions(options);
    this.logger = this.options.logger.child({ adapter: 'rabbitmq', url: this.options.redactedUrl });
    this.life = new Lifecycle<AdapterState>({
      component: 'rmq adapter',
      initial: 'created',
      transitions: ADAPTER_TRANSITIONS,
      log: (level, fields, msg) => this.logger[level](fields, msg),
    });
    const adapter = this; // eslint-disable-line @typescript-eslint/no-this-alias
    this.host = {
      get handingOut() {
        return adapter.life.is('open');
      },
      get keeper() {
        return adapter.consumeKeeper as ConnectionKeeper;
      },
      logger: this.logger,
      reconnectDelayMs: Math.max(10, this.options.reconnect.minDelayMs),
      redeliveries:
        this.options.queueType === 'quorum' ? 'x-delivery-count' : new RedeliveryCounter(),
      closeLingerMs: this.options.queueType === 'quorum' ? QUORUM_CLOSE_LINGER_MS : 0,
      settled: () => this.drainGate.check(),
      closed: (consumer) => {
        this.consumers.delete(consumer);
        this.drainGate.check();
      },
    };
    this.topology = new QueueTopology({
      options: this.options,
      logger: this.logger,
      get keeper() {
        return adapter.consumeKeeper;
      },
      get over() {
        return adapter.life.is('closed', 'failed');
      },
      reconnectDelayMs: this.host.reconnectDelayMs,
    });
    this.failedMessages = new RabbitMqFailedMessages({
      get keeper() {
        return adapter.consumeKeeper;
      },
      topology: this.topology,
    });
  }

  /** Connects both connections; rejects with a `RabbitMqConnectionError` naming the (redacted) URL when it cannot. */
  open(): Promise<void> {
    if (this.life.is('open')) return Promise.resolve();
    if (this.life.is('opening') && this.opening !== undefined) return this.opening;
    if (!this.life.is('created')) return this.refuse('open');
    this.life.to('opening');
    const consumeKeeper = new ConnectionKeeper('consume', this.options, (model) =>
      this.topology.declareAgain(model),
    );
    const publishKeeper = new ConnectionKeeper('publish', this.options);
    this.consumeKeeper = consumeKeeper;
    this.publishKeeper = publishKeeper;
    consumeKeeper.onFailed = (error) => this.gaveUp(error);
    publishKeeper.onFailed = (error) => this.gaveUp(error);
    this.publisher = new Publisher(
      publishKeeper,
      (queue) => this.topology.routeOf(queue),
      this.logger,
      () => this.life.is('open', 'closing'),
      () => this.failure ?? new AdapterClosedError('publish', 'closed'),
      this.options.maxMessageBytes,
      this.options.nackRetryMs,
    );
    this.opening = (async () => {
      try {
        await Promise.all([consumeKeeper.open(), publishKeeper.open()]);
      } catch (error) {
        await Promise.all([consumeKeeper.close(), publishKeeper.close()]);
        if (this.life.is('opening')) this.life.to('created');
        this.opening = undefined;
        if (error instanceof KeeperClosedError) throw new AdapterClosedError('open', 'closed');
        throw error;
      }
      if (!this.life.is('opening')) throw new AdapterClosedError('open', 'closed');
      this.life.to('open');
      this.logger.info('connected to RabbitMQ');
    })();
    return this.opening;
  }

  close(options: AdapterCloseOptions = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const drainTimeoutMs = options.drainTimeoutMs ?? 0;
    const wasOpen = this.life.is('open');
    if (!this.life.is('failed')) this.life.to('closing');
    for (const consumer of this.consumers) consumer.stopConsuming();
    this.closing = (async () => {
      if (wasOpen && drainTimeoutMs > 0) await this.drainGate.wait(drainTimeoutMs);
      this.life.to('closed');
      await Promise.all([...this.consumers].map((consumer) => consumer.close()));
      await this.publisher?.close();
      await this.topology.close();
      await Promise.all([this.consumeKeeper?.close(), this.publishKeeper?.close()]);
    })();
    return this.closing;
  }

  async declareQueue(queue: string): Promise<void> {
    if (!this.life.is('open')) return this.refuse('declare a queue');
    if (typeof queue !== 'string' || queue.length === 0 || Buffer.byteLength(queue) > 255) {
      throw new TypeError('a queue name is a non-empty string of at most 255 bytes');
    }
    await this.topology.declareQueue(queue);
  }

  async consume(queue: string, options: ConsumeOptions): Promise<StreamConsumer> {
    if (!this.life.is('open')) return this.refuse('consume');
    const { maxUnacked } = options;
    if (!(Number.isSafeInteger(maxUnacked) && maxUnacked >= 1 && maxUnacked <= 65_535)) {
      throw new RangeError(
        `maxUnacked must be a whole number from 1 to 65535 (RabbitMQ's prefetch), got ${String(maxUnacked)}`,
      );
    }
    const { failQueue } = options;
    await this.topology.ensureKnown(
      failQueue === undefined ? [queue] : [queue, failQueue],
      'consume',
    );
    // Dead-lettering needs the source queue's arguments, known only for queues this adapter declared.
    const deadLetterTo =
      failQueue !== undefined && this.topology.deadLettersByName(queue) ? failQueue : undefined;
    if (deadLetterTo !== undefined) await this.topology.bindDeadLetters(queue, deadLetterTo);
    const consumer = await RabbitMqConsumer.start(queue, maxUnacked, this.host, deadLetterTo);
    if (!this.life.is('open')) {
      await consumer.close();
      return this.refuse('consume');
    }
    this.consumers.add(consumer);
    return consumer;
  }

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.publishChecked(messages, undefined);
  }

  /**
   * An ordered lane of the caller's own (`OrderedPublishCapable`, publish-lane.ts): its calls are written in call
   * order on a channel the lane keeps, each while the ones before it wait for their confirms.
   */
  publishLane(): PublishLane {
    return new RabbitMqPublishLane(this.laneHost);
  }

  private readonly laneHost: LaneHost = {
    publishInLane: (messages, call) => this.publishChecked(messages, call),
    publish: (messages) => this.publish(messages),
    laneClosed: (lane) => this.publisher?.closeLane(lane),
  };

  private publishChecked(
    messages: readonly OutgoingMessage[],
    call: LaneCall | undefined,
  ): Promise<void> {
    if (!this.life.is('open', 'closing')) return this.refuse('publish');
    let unknown: string[] | undefined;
    let last: string | undefined;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as OutgoingMessage;
      if (!(message.body instanceof Uint8Array)) {
        return Promise.reject(new TypeError(`message ${i}: the body must be a Uint8Array`));
      }
      if (message.queue !== last) {
        last = message.queue;
        if (!this.topology.isKnown(last)) (unknown ??= []).push(last);
      }
    }
    if (unknown === undefined) return this.tracked(messages, call);
    return this.topology.ensureKnown(unknown, 'publish').then(() => this.tracked(messages, call));
  }

  async retryLater(retries: readonly DelayedRetry[]): Promise<void> {
    if (!this.life.is('open', 'closing')) return this.refuse('retry later');
    const messages: OutgoingMessage[] = [];
    const sources = new Set<string>();
    for (const { delivery, delayMs } of retries) {
      if (!(Number.isFinite(delayMs) && delayMs >= 0)) {
        throw new RangeError(`delayMs must be >= 0, got ${String(delayMs)}`);
      }
      sources.add(delivery.queue);
    }
    await this.topology.ensureKnown([...sources], 'retry later');
    for (const { delivery, delayMs, headers } of retries) {
      let queue = delivery.queue;
      if (delayMs > 0) {
        queue = await this.topology.declareRetryQueue(delivery.queue, retryBucketMs(delayMs));
      }
      const copyHeaders = { ...delivery.headers, ...headers };
      // The copy is a new message: the broker's count of the original's deliveries does not follow it.
      delete copyHeaders['x-delivery-count'];
      messages.push({ queue, body: delivery.body, headers: copyHeaders });
    }
    await this.tracked(messages);
  }

  /** Open with both connections up: false while either reconnects, and once closed or given up. */
  get connected(): boolean {
    return (
      this.life.is('open') &&
      this.consumeKeeper?.current !== undefined &&
      this.publishKeeper?.current !== undefined
    );
  }

  async queueStats(queue: string): Promise<QueueStats> {
    if (!this.life.is('open')) return this.refuse('read queue stats');
    const reply = await this.topology.check(queue, 'read queue stats');
    let unacked = 0;
    for (const consumer of this.consumers)
      if (consumer.queue === queue) unacked += consumer.unackedCount;
    return { ready: reply.messageCount, unacked, consumers: reply.consumerCount };
  }

  // FailedMessagesCapable: what peeking and moving guarantee on RabbitMQ is in failed-messages.ts.
  countMessages(queue: string): Promise<number> {
    if (!this.life.is('open')) return this.refuse('count messages');
    return this.failedMessages.count(queue);
  }

  peekMessages(queue: string, max: number): Promise<PeekedMessage[]> {
    if (!this.life.is('open')) return this.refuse('peek');
    return this.failedMessages.peek(queue, max);
  }

  moveMessages(from: string, to: string, options?: MoveMessagesOptions): Promise<number> {
    if (!this.life.is('open')) return this.refuse('move messages');
    return this.failedMessages.move(from, to, options);
  }

  purgeMessages(queue: string): Promise<number> {
    if (!this.life.is('open')) return this.refuse('purge');
    return this.failedMessages.purge(queue);
  }

  private async tracked(messages: readonly OutgoingMessage[], call?: LaneCall): Promise<void> {
    this.publishing += 1;
    try {
      await (this.publisher as Publisher).publish(messages, call);
    } catch (error) {
      if (error instanceof UnknownQueueError) this.topology.forget(error.queue);
      if (error instanceof MessagesRejectedError) {
        for (const { cause } of error.rejected)
          if (cause instanceof UnknownQueueError) this.topology.forget(cause.queue);
      }
      if (error instanceof KeeperClosedError) {
        throw this.failure ?? new AdapterClosedError('publish', 'closed');
      }
      throw error;
    } finally {
      this.publishing -= 1;
      this.drainGate.check();
    }
  }

  /**
   * Resolves with the error once the adapter has given up for good: reconnection attempts exhausted, or credentials
   * refused on reconnect. Nothing more will flow through it; a worker process should then exit, for its supervisor to
   * start it again. Never rejects, and never resolves for an adapter closed on purpose.
   */
  failed(): Promise<RabbitMqConnectionError> {
    return this.failedForGood;
  }

  private gaveUp(error: RabbitMqConnectionError): void {
    if (this.life.is('closing', 'closed', 'failed')) return;
    this.life.to('failed', { error: error.message });
    this.failure = error;
    this.announceFailure(error);
    for (const consumer of [...this.consumers]) consumer.fail(error);
    void this.consumeKeeper?.close();
    void this.publishKeeper?.close();
  }

  private isDrained(): boolean {
    if (this.publishing > 0) return false;
    for (const consumer of this.consumers) if (consumer.heldCount > 0) return false;
    return true;
  }

  private refuse<T>(operation: string): Promise<T> {
    if (this.life.is('failed') && this.failure !== undefined) return Promise.reject(this.failure);
    const state = this.life.is('created', 'opening')
      ? 'not open'
      : this.life.is('closed')
        ? 'closed'
        : 'closing';
    return Promise.reject(new AdapterClosedError(operation, state));
  }
}
