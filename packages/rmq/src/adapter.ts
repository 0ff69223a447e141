/**
 * RabbitMqStreamAdapter: the StreamAdapter contract (see @monomyth/node's stream-adapter.ts) on RabbitMQ, with amqplib.
 *
 * Two connections per adapter, and one adapter per process (the worker's): one connection consumes, one publishes, so
 * flow control on publishing never stalls consuming. A channel per consumer (per node) with the node's `maxUnacked` as
 * its prefetch; confirm channels for publishing, one per batch in flight (consumer.ts, publisher.ts). Queues durable,
 * messages persistent, every publish confirmed before it resolves.
 *
 * Declarations and queue checks go through one admin channel on the consuming connection, one at a time: a failed
 * check (404) closes that channel and nothing else. The adapter remembers what it declared and declares it again on
 * every new connection before consumers resume. Publishing to a queue this adapter has not seen checks once that it
 * exists (so a publish to an undeclared queue rejects with `UnknownQueueError` and leaves no trace); after that,
 * `mandatory` publishing catches a queue deleted under a running system.
 *
 * Queues are quorum queues unless `queueType` says classic, declared with a dead-letter exchange so that a node can
 * have the broker move a poison message to its fail queue untouched (`deadLetter`, see queue-arguments.ts); on quorum
 * queues the broker's `x-delivery-limit` backs up the nodes' own redelivery limit. Deliveries carry a redelivery
 * count: the quorum queue's `x-delivery-count`, or on classic queues a count this adapter keeps for redelivered
 * messages (redelivery-counter.ts).
 *
 * Connection loss (connection-keeper.ts): consumers pause and resume on a new channel, publishes in flight are sent
 * again, declarations and dead-letter bindings are repeated. Once the keeper gives up, every operation rejects with `RabbitMqConnectionError`
 * and consumers' `nextBatch` with it too, so nodes stop and their supervisor takes over.
 */
import type { Channel, ChannelModel } from 'amqplib';
import {
  AdapterClosedError,
  DrainGate,
  MessagesRejectedError,
  UnknownQueueError,
} from '@monomyth/node';
import type {
  CloseOptions,
  ConsumeOptions,
  DelayedRetry,
  DelayedRetryCapable,
  Logger,
  OutgoingMessage,
  QueueStats,
  QueueStatsCapable,
  StreamAdapter,
  StreamConsumer,
} from '@monomyth/node';
import { ConnectionKeeper, KeeperClosedError } from './connection-keeper.js';
import { RabbitMqConsumer } from './consumer.js';
import type { ConsumerHost } from './consumer.js';
import type { RabbitMqConnectionError } from './errors.js';
import { RabbitMqChannelError, messageOf, replyCodeOf } from './errors.js';
import { compileOptions } from './options.js';
import type {
  CompiledRabbitMqOptions,
  QueueArgumentValue,
  RabbitMqAdapterOptions,
} from './options.js';
import { Publisher } from './publisher.js';
import {
  DEAD_LETTER_EXCHANGE,
  FAIL_QUEUE_SUFFIX,
  baseArguments,
  deadLettersByName,
  queueArguments,
} from './queue-arguments.js';
import { RedeliveryCounter } from './redelivery-counter.js';
import { retryBucketMs, retryQueueArguments, retryQueueName } from './retry-topology.js';

type AdapterState = 'created' | 'opening' | 'open' | 'closing' | 'closed' | 'failed';

/** Admin operations retried after a lost connection before they give up. */
const MAX_ADMIN_ATTEMPTS = 5;

type Arguments = Record<string, QueueArgumentValue>;

export class RabbitMqStreamAdapter
  implements StreamAdapter, DelayedRetryCapable, QueueStatsCapable
{
  readonly options: CompiledRabbitMqOptions;
  private readonly logger: Logger;
  private state: AdapterState = 'created';
  private consumeKeeper: ConnectionKeeper | undefined;
  private publishKeeper: ConnectionKeeper | undefined;
  private publisher: Publisher | undefined;
  private readonly consumers = new Set<RabbitMqConsumer>();
  /** Queues this adapter declared, with their arguments: declared again on every new connection. */
  private readonly declared = new Map<string, Arguments>();
  /** Queues known to exist: declared here, or checked. */
  private readonly known = new Set<string>();
  /** Fail queues bound to the dead-letter exchange. */
  private readonly bound = new Set<string>();
  /** Fail queue -> the source queues whose dead letters it receives (bound on `DEAD_LETTER_EXCHANGE`). */
  private readonly deadLetterRoutes = new Map<string, Set<string>>();
  private adminChannel: Channel | undefined;
  private adminQueue: Promise<unknown> = Promise.resolve();
  private publishing = 0;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly drainGate = new DrainGate(() => this.isDrained());
  private failure: RabbitMqConnectionError | undefined;
  private readonly host: ConsumerHost;
  private announceFailure: (error: RabbitMqConnectionError) => void = () => {};
  private readonly failedForGood = new Promise<RabbitMqConnectionError>((resolve) => {
    this.announceFailure = resolve;
  });

  constructor(options: RabbitMqAdapterOptions) {
    this.options = compileOptions(options);
    this.logger = this.options.logger.child({ adapter: 'rabbitmq', url: this.options.redactedUrl });
    const adapter = this; // eslint-disable-line @typescript-eslint/no-this-alias
    this.host = {
      get handingOut() {
        return adapter.state === 'open';
      },
      get keeper() {
        return adapter.consumeKeeper as ConnectionKeeper;
      },
      logger: this.logger,
      reconnectDelayMs: Math.max(10, this.options.reconnect.minDelayMs),
      redeliveries:
        this.options.queueType === 'quorum' ? 'x-delivery-count' : new RedeliveryCounter(),
      settled: () => this.drainGate.check(),
      closed: (consumer) => {
        this.consumers.delete(consumer);
        this.drainGate.check();
      },
    };
  }

  /** Connects both connections; rejects with a `RabbitMqConnectionError` naming the (redacted) URL when it cannot. */
  open(): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    if (this.state === 'opening' && this.opening !== undefined) return this.opening;
    if (this.state !== 'created') return this.refuse('open');
    this.state = 'opening';
    const consumeKeeper = new ConnectionKeeper('consume', this.options, (model) =>
      this.declareAgain(model),
    );
    const publishKeeper = new ConnectionKeeper('publish', this.options);
    this.consumeKeeper = consumeKeeper;
    this.publishKeeper = publishKeeper;
    consumeKeeper.onFailed = (error) => this.gaveUp(error);
    publishKeeper.onFailed = (error) => this.gaveUp(error);
    this.publisher = new Publisher(
      publishKeeper,
      (queue) => this.routeOf(queue),
      this.logger,
      () => this.state === 'open' || this.state === 'closing',
      () => this.failure ?? new AdapterClosedError('publish', 'closed'),
      this.options.maxMessageBytes,
    );
    this.opening = (async () => {
      try {
        await Promise.all([consumeKeeper.open(), publishKeeper.open()]);
      } catch (error) {
        await Promise.all([consumeKeeper.close(), publishKeeper.close()]);
        if (this.state === 'opening') this.state = 'created';
        this.opening = undefined;
        if (error instanceof KeeperClosedError) throw new AdapterClosedError('open', 'closed');
        throw error;
      }
      if (this.state !== 'opening') throw new AdapterClosedError('open', 'closed');
      this.state = 'open';
      this.logger.info('connected to RabbitMQ');
    })();
    return this.opening;
  }

  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const drainTimeoutMs = options.drainTimeoutMs ?? 0;
    const wasOpen = this.state === 'open';
    if (this.state !== 'failed') this.state = 'closing';
    for (const consumer of this.consumers) consumer.stopConsuming();
    this.closing = (async () => {
      if (wasOpen && drainTimeoutMs > 0) await this.drainGate.wait(drainTimeoutMs);
      this.state = 'closed';
      await Promise.all([...this.consumers].map((consumer) => consumer.close()));
      await this.publisher?.close();
      const admin = this.adminChannel;
      this.adminChannel = undefined;
      await admin?.close().catch(() => {});
      await Promise.all([this.consumeKeeper?.close(), this.publishKeeper?.close()]);
    })();
    return this.closing;
  }

  async declareQueue(queue: string): Promise<void> {
    if (this.state !== 'open') return this.refuse('declare a queue');
    if (typeof queue !== 'string' || queue.length === 0 || Buffer.byteLength(queue) > 255) {
      throw new TypeError('a queue name is a non-empty string of at most 255 bytes');
    }
    const args = queueArguments(queue, this.options);
    await this.admin(`declare queue ${JSON.stringify(queue)}`, (channel) =>
      channel.assertQueue(queue, { durable: true, arguments: args }),
    );
    this.declared.set(queue, args);
    this.known.add(queue);
    const exchange = this.options.deadLetterExchange;
    if (exchange !== undefined && queue.endsWith(FAIL_QUEUE_SUFFIX)) {
      await this.admin(
        `bind ${JSON.stringify(queue)} to ${JSON.stringify(exchange)}`,
        async (channel) => {
          await channel.assertExchange(exchange, 'topic', { durable: true });
          await channel.bindQueue(queue, exchange, queue);
        },
      );
      this.bound.add(queue);
    }
  }

  async consume(queue: string, options: ConsumeOptions): Promise<StreamConsumer> {
    if (this.state !== 'open') return this.refuse('consume');
    const { maxUnacked } = options;
    if (!(Number.isSafeInteger(maxUnacked) && maxUnacked >= 1 && maxUnacked <= 65_535)) {
      throw new RangeError(
        `maxUnacked must be a whole number from 1 to 65535 (RabbitMQ's prefetch), got ${String(maxUnacked)}`,
      );
    }
    const { failQueue } = options;
    await this.ensureKnown(failQueue === undefined ? [queue] : [queue, failQueue], 'consume');
    // Dead-lettering needs the source queue's arguments, known only for queues this adapter declared.
    const deadLetterTo =
      failQueue !== undefined && deadLettersByName(queue, this.declared.get(queue))
        ? failQueue
        : undefined;
    if (deadLetterTo !== undefined) await this.bindDeadLetters(queue, deadLetterTo);
    const consumer = await RabbitMqConsumer.start(queue, maxUnacked, this.host, deadLetterTo);
    if ((this.state as AdapterState) !== 'open') {
      await consumer.close();
      return this.refuse('consume');
    }
    this.consumers.add(consumer);
    return consumer;
  }

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.state !== 'open' && this.state !== 'closing') return this.refuse('publish');
    let unknown: string[] | undefined;
    let last: string | undefined;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as OutgoingMessage;
      if (!(message.body instanceof Uint8Array)) {
        return Promise.reject(new TypeError(`message ${i}: the body must be a Uint8Array`));
      }
      if (message.queue !== last) {
        last = message.queue;
        if (!this.known.has(last)) (unknown ??= []).push(last);
      }
    }
    if (unknown === undefined) return this.tracked(messages);
    return this.ensureKnown(unknown, 'publish').then(() => this.tracked(messages));
  }

  async retryLater(retries: readonly DelayedRetry[]): Promise<void> {
    if (this.state !== 'open' && this.state !== 'closing') return this.refuse('retry later');
    const messages: OutgoingMessage[] = [];
    const sources = new Set<string>();
    for (const { delivery, delayMs } of retries) {
      if (!(Number.isFinite(delayMs) && delayMs >= 0)) {
        throw new RangeError(`delayMs must be >= 0, got ${String(delayMs)}`);
      }
      sources.add(delivery.queue);
    }
    await this.ensureKnown([...sources], 'retry later');
    for (const { delivery, delayMs, headers } of retries) {
      let queue = delivery.queue;
      if (delayMs > 0) {
        const bucket = retryBucketMs(delayMs);
        queue = retryQueueName(delivery.queue, bucket);
        if (!this.declared.has(queue)) await this.declareRetryQueue(delivery.queue, bucket);
      }
      const copyHeaders = { ...delivery.headers, ...headers };
      // The copy is a new message: the broker's count of the original's deliveries does not follow it.
      delete copyHeaders['x-delivery-count'];
      messages.push({ queue, body: delivery.body, headers: copyHeaders });
    }
    await this.tracked(messages);
  }

  async queueStats(queue: string): Promise<QueueStats> {
    if (this.state !== 'open') return this.refuse('read queue stats');
    const reply = await this.check(queue, 'read queue stats');
    let unacked = 0;
    for (const consumer of this.consumers)
      if (consumer.queue === queue) unacked += consumer.unackedCount;
    return { ready: reply.messageCount, unacked, consumers: reply.consumerCount };
  }

  /** Where a message to `queue` is published: the dead-letter exchange for bound fail queues, else the queue itself. */
  private routeOf(queue: string): { exchange: string; routingKey: string } {
    const exchange = this.options.deadLetterExchange;
    if (exchange !== undefined && this.bound.has(queue)) return { exchange, routingKey: queue };
    return { exchange: '', routingKey: queue };
  }

  private async tracked(messages: readonly OutgoingMessage[]): Promise<void> {
    this.publishing += 1;
    try {
      await (this.publisher as Publisher).publish(messages);
    } catch (error) {
      if (error instanceof UnknownQueueError) this.known.delete(error.queue);
      if (error instanceof MessagesRejectedError) {
        for (const { cause } of error.rejected)
          if (cause instanceof UnknownQueueError) this.known.delete(cause.queue);
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

  private async declareRetryQueue(source: string, bucketMs: number): Promise<void> {
    const queue = retryQueueName(source, bucketMs);
    const args = retryQueueArguments(source, bucketMs, baseArguments(this.options));
    if (args['x-queue-type'] === 'quorum') {
      // Quorum queues dead-letter at most once unless told otherwise: a retry must not be lost on the way back.
      args['x-dead-letter-strategy'] = 'at-least-once';
      args['x-overflow'] = 'reject-publish';
    }
    await this.admin(`declare retry queue ${JSON.stringify(queue)}`, (channel) =>
      channel.assertQueue(queue, { durable: true, arguments: args }),
    );
    this.declared.set(queue, args);
    this.known.add(queue);
  }

  /** Binds `failQueue` to the dead-letter exchange for the dead letters of `source`. */
  private async bindDeadLetters(source: string, failQueue: string): Promise<void> {
    const sources = this.deadLetterRoutes.get(failQueue);
    if (sources?.has(source) === true) return;
    await this.admin(
      `bind ${JSON.stringify(failQueue)} for the dead letters of ${JSON.stringify(source)}`,
      async (channel) => {
        await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
        await channel.bindQueue(failQueue, DEAD_LETTER_EXCHANGE, source);
      },
    );
    if (sources === undefined) this.deadLetterRoutes.set(failQueue, new Set([source]));
    else sources.add(source);
  }

  private async ensureKnown(queues: readonly string[], operation: string): Promise<void> {
    for (const queue of queues) {
      if (this.known.has(queue)) continue;
      await this.check(queue, operation);
      this.known.add(queue);
    }
  }

  private check(
    queue: string,
    operation: string,
  ): Promise<{ messageCount: number; consumerCount: number }> {
    return this.admin(`check queue ${JSON.stringify(queue)}`, (channel) =>
      channel.checkQueue(queue),
    ).catch((error: unknown) => {
      if (
        replyCodeOf(error) === 404 ||
        (error instanceof RabbitMqChannelError && replyCodeOf(error.cause) === 404)
      ) {
        throw new UnknownQueueError(operation, queue, { cause: error });
      }
      throw error;
    });
  }

  /**
   * Runs `fn` on the admin channel, one operation at a time. A channel error (404, 406) closes that channel and
   * rejects with the broker's reply; a lost connection is waited out and the operation tried again.
   */
  private admin<T>(what: string, fn: (channel: Channel) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        const keeper = this.consumeKeeper;
        if (keeper === undefined) throw new AdapterClosedError(what, 'not open');
        let model: ChannelModel;
        try {
          model = await keeper.whenUp();
        } catch (error) {
          if (error instanceof KeeperClosedError) throw new AdapterClosedError(what, 'closed');
          throw error;
        }
        let channel: Channel;
        try {
          channel = await this.adminChannelOn(model);
          return await fn(channel);
        } catch (error) {
          const code = replyCodeOf(error);
          if (code !== undefined && code !== 320) {
            if (code === 406) {
              throw new RabbitMqChannelError(
                `cannot ${what}: the broker refused it (${messageOf(error)}); an existing queue keeps the arguments ` +
                  'it was declared with',
                { cause: error },
              );
            }
            throw error;
          }
          if (attempt >= MAX_ADMIN_ATTEMPTS || this.state === 'closed' || this.state === 'failed')
            throw error;
          await new Promise((resolve) => setTimeout(resolve, this.host.reconnectDelayMs));
        }
      }
    };
    const result = this.adminQueue.then(run, run);
    this.adminQueue = result.catch(() => {});
    return result;
  }

  private async adminChannelOn(model: ChannelModel): Promise<Channel> {
    const current = this.adminChannel;
    if (current !== undefined && current.connection === model.connection) {
      return current;
    }
    const channel = await model.createChannel();
    channel.on('error', (error: Error) =>
      this.logger.debug({ error: messageOf(error) }, 'RabbitMQ admin channel closed by the broker'),
    );
    channel.on('close', () => {
      if (this.adminChannel === channel) this.adminChannel = undefined;
    });
    this.adminChannel = channel;
    return channel;
  }

  /** On a new consuming connection, before consumers resume: declare again what this adapter declared. */
  private async declareAgain(model: ChannelModel): Promise<void> {
    if (this.declared.size === 0) return;
    const channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      const exchange = this.options.deadLetterExchange;
      if (exchange !== undefined && this.bound.size > 0) {
        await channel.assertExchange(exchange, 'topic', { durable: true });
      }
      for (const [queue, args] of this.declared) {
        await channel.assertQueue(queue, { durable: true, arguments: args });
        if (exchange !== undefined && this.bound.has(queue))
          await channel.bindQueue(queue, exchange, queue);
      }
      if (this.deadLetterRoutes.size > 0)
        await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
      for (const [failQueue, sources] of this.deadLetterRoutes)
        for (const source of sources)
          await channel.bindQueue(failQueue, DEAD_LETTER_EXCHANGE, source);
    } finally {
      await channel.close().catch(() => {});
    }
    this.logger.info({ queues: this.declared.size }, 'declared the queues again');
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
    if (this.state === 'closing' || this.state === 'closed' || this.state === 'failed') return;
    this.state = 'failed';
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
    if (this.state === 'failed' && this.failure !== undefined) return Promise.reject(this.failure);
    const state =
      this.state === 'created' || this.state === 'opening'
        ? 'not open'
        : this.state === 'closed'
          ? 'closed'
          : 'closing';
    return Promise.reject(new AdapterClosedError(operation, state));
  }
}
