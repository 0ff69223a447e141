/**
 * A consumer of one queue on a channel of its own (a channel per node), with the channel's prefetch set to
 * `maxUnacked`: the broker never sends more than that unacknowledged, whether handed out or waiting here.
 *
 * Deliveries arrive as the broker pushes them and wait in a local buffer; `nextBatch` takes from it and wakes on
 * arrival, on its timeout or on its signal: nothing polls. Settling uses `multiple` for the run of deliveries that
 * starts at the oldest one held, so a node's whole batch costs one ack frame.
 *
 * When the channel closes under it (the connection dropped, the broker's `consumer_timeout` fired, the consumer was
 * cancelled), the consumer forgets what it held: the broker puts those messages back and delivers them again, so
 * settling one of them later is a no-op (its delivery tag belonged to the dead channel; acking it on the new one would
 * close that with a 406). Meanwhile a pending `nextBatch` keeps waiting: the node pauses. The consumer opens a new
 * channel once the connection is up again and carries on; it fails for good (its `nextBatch` rejects) only when the
 * queue is gone, the channel keeps failing on a live connection, or the adapter gave up on the broker.
 *
 * Opened with a fail queue whose dead-letter route the adapter set up, it also has `deadLetter`: a `basic.nack`
 * without requeue, after which the broker moves the message, as stored, to the fail queue.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import {
  BatchWaiter,
  ConsumerClosedError,
  UnknownDeliveryError,
  UnknownQueueError,
  attemptOf,
  describeError,
} from '@monomyth/node/adapter';
import type { Logger } from '@monomyth/node';
import type {
  Delivery,
  MessageHeaders,
  NextBatchOptions,
  StreamConsumer,
} from '@monomyth/node/adapter';
import { Lifecycle } from '@monomyth/mmop';
import type { ConnectionKeeper } from './connection-keeper.js';
import { KeeperClosedError } from './connection-keeper.js';
import type { RedeliveryCounter } from './redelivery-counter.js';
import { RabbitMqChannelError, replyCodeOf } from './errors.js';
import { RmqDelivery } from './rmq-delivery.js';
import { sendSettlement } from './settle-frames.js';
import type { SettleHow } from './settle-frames.js';
import { fromAmqpHeaders } from './wire.js';
import { closeQuietly } from './close-quietly.js';

/** Channel failures in a row on a live connection before a consumer gives up. */
const MAX_CHANNEL_FAILURES = 5;

/** What a consumer needs from its adapter. */
export interface ConsumerHost {
  /** False while the adapter drains: nothing new is handed out. */
  readonly handingOut: boolean;
  readonly keeper: ConnectionKeeper;
  readonly logger: Logger;
  readonly reconnectDelayMs: number;
  /** Where redelivery counts come from: quorum queues' header, or the adapter's own count. */
  readonly redeliveries: 'x-delivery-count' | RedeliveryCounter;
  /** How long after its last settlement a closing consumer keeps its channel open (see `lingerAfterSettling`). */
  readonly closeLingerMs: number;
  /** Told when the consumer's held set shrinks, so a draining adapter knows when it is done. */
  settled(): void;
  closed(consumer: RabbitMqConsumer): void;
}

type ConsumerState = 'opening' | 'open' | 'recovering' | 'closed' | 'failed';

const CONSUMER_TRANSITIONS = {
  opening: ['open', 'closed', 'failed'],
  open: ['recovering', 'closed', 'failed'],
  recovering: ['open', 'closed', 'failed'],
  failed: ['closed'],
  closed: [],
} as const satisfies Record<ConsumerState, readonly ConsumerState[]>;

export class RabbitMqConsumer implements StreamConsumer {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private epoch = 0;
  private buffer: RmqDelivery[] = [];
  private head = 0;
  /** Handed out and not settled, in delivery-tag order (a Map keeps insertion order). */
  private readonly handedOut = new Map<number, RmqDelivery>();
  private readonly waiter: BatchWaiter<RmqDelivery>;
  private readonly life: Lifecycle<ConsumerState>;
  private failure: unknown;
  /** When this consumer last sent an ack or nack (performance.now()). */
  private lastSettledAt = Number.NEGATIVE_INFINITY;
  /**
   * Present when the consumer was opened with a fail queue the broker dead-letters to (see `DeadLetterCapable`):
   * the broker moves each delivery, as stored, to that queue.
   */
  readonly deadLetter?: (deliveries: readonly Delivery[]) => Promise<void>;

  private constructor(
    readonly queue: string,
    private readonly maxUnacked: number,
    private readonly host: ConsumerHost,
    /** The fail queue dead letters reach, when the adapter bound it. */
    readonly deadLetterTo: string | undefined,
  ) {
    this.waiter = new BatchWaiter(queue, (batch, max) => this.fill(batch, max));
    this.life = new Lifecycle<ConsumerState>({
      component: 'rmq consumer',
      initial: 'opening',
      transitions: CONSUMER_TRANSITIONS,
      log: (level, fields, msg) => host.logger[level]({ ...fields, queue }, msg),
    });
    if (deadLetterTo !== undefined)
      this.deadLetter = (deliveries) => this.settle(deliveries, 'dead-letter');
  }

  /** Opens the consumer's channel and starts consuming; rejects (with `UnknownQueueError` for a missing queue). */
  static async start(
    queue: string,
    maxUnacked: number,
    host: ConsumerHost,
    deadLetterTo?: string,
  ): Promise<RabbitMqConsumer> {
    const consumer = new RabbitMqConsumer(queue, maxUnacked, host, deadLetterTo);
    const model = await host.keeper.whenUp();
    try {
      await consumer.attach(model);
    } catch (error) {
      consumer.life.to('closed');
      if (replyCodeOf(error) === 404)
        throw new UnknownQueueError('consume', queue, { cause: error });
      throw error;
    }
    consumer.life.to('open');
    return consumer;
  }

  /** Deliveries handed out and not settled. */
  get heldCount(): number {
    return this.handedOut.size;
  }

  /** Deliveries the broker counts unacknowledged on this consumer: handed out, or waiting in the buffer. */
  get unackedCount(): number {
    return this.handedOut.size + this.buffer.length - this.head;
  }

  nextBatch(options: NextBatchOptions): Promise<Delivery[]> {
    if (this.life.is('closed')) return Promise.reject(new ConsumerClosedError('pull', this.queue));
    if (this.life.is('failed')) return Promise.reject(this.failure);
    return this.waiter.pull(options);
  }

  ack(deliveries: readonly Delivery[]): Promise<void> {
    return this.settle(deliveries, 'ack');
  }

  requeue(deliveries: readonly Delivery[]): Promise<void> {
    return this.settle(deliveries, 'requeue');
  }

  async close(): Promise<void> {
    if (this.life.is('closed')) return;
    this.life.to('closed');
    this.epoch += 1;
    const rejectPull = this.waiter.detach();
    this.forgetHeld();
    this.host.closed(this);
    const channel = this.channel;
    this.channel = undefined;
    if (channel !== undefined) {
      await this.lingerAfterSettling(channel);
      // Closing the channel gives back everything still unacknowledged: the broker delivers it again. A pending pull
      // rejects once that is done, so whoever waits on it sees the messages back in their queue.
      await closeQuietly(channel);
    }
    rejectPull?.(new ConsumerClosedError('pull', this.queue));
  }

  /**
   * RabbitMQ 3.x quorum queues drop the settlements a channel still holds back when it closes (rabbitmq-server#10327:
   * past 32 commands the queue has not applied yet). So a closing consumer keeps its channel open `closeLingerMs`
   * after its last ack or nack, its consumer cancelled: nothing new arrives only to be given back, counted as a
   * redelivery, by the close.
   */
  private async lingerAfterSettling(channel: Channel): Promise<void> {
    const linger = this.lastSettledAt + this.host.closeLingerMs - performance.now();
    if (linger <= 0) return;
    if (this.consumerTag !== undefined) channel.cancel(this.consumerTag).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, linger));
  }

  /** The adapter drains: ask the broker to send nothing more (what is here stays held until settled or closed). */
  stopConsuming(): void {
    const { channel, consumerTag } = this;
    if (channel !== undefined && consumerTag !== undefined) {
      channel.cancel(consumerTag).catch(() => {});
    }
  }

  /** The adapter gave up on the broker: `nextBatch` rejects with `error` from now on. */
  fail(error: unknown): void {
    if (this.life.is('closed', 'failed')) return;
    this.life.to('failed', { err: describeError(error) });
    this.failure = error;
    this.epoch += 1;
    this.waiter.detach()?.(error);
    this.forgetHeld();
    this.host.closed(this);
    const channel = this.channel;
    this.channel = undefined;
    if (channel !== undefined) void closeQuietly(channel);
  }

  private async attach(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    const epoch = ++this.epoch;
    this.channel = channel;
    channel.on('error', (error: Error) => {
      this.host.logger.warn(
        { queue: this.queue, error: describeError(error) },
        'RabbitMQ consumer channel error',
      );
    });
    channel.on('close', () => this.channelClosed(channel));
    try {
      await channel.prefetch(this.maxUnacked, false);
      const { consumerTag } = await channel.consume(
        this.queue,
        (message) => this.arrived(message, channel, epoch),
        { noAck: false },
      );
      this.consumerTag = consumerTag;
    } catch (error) {
      if (this.channel === channel) this.channel = undefined;
      void closeQuietly(channel);
      throw error;
    }
    if (!this.host.handingOut) this.stopConsuming();
  }

  private arrived(message: ConsumeMessage | null, channel: Channel, epoch: number): void {
    if (epoch !== this.epoch) return;
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted, or it moved): start over on a new channel.
      this.host.logger.warn({ queue: this.queue }, 'RabbitMQ cancelled the consumer');
      void closeQuietly(channel);
      return;
    }
    const headers = fromAmqpHeaders(message.properties.headers);
    const { redelivered } = message.fields;
    this.buffer.push(
      new RmqDelivery(
        this.queue,
        message.content,
        headers,
        attemptOf(headers),
        redelivered,
        message.fields.deliveryTag,
        epoch,
        this,
        redelivered ? this.redeliveryCount(headers, message.content) : undefined,
      ),
    );
    if (this.waiter.waiting) this.offer();
  }

  /** How many times a redelivered message came back; only redeliveries are counted. */
  private redeliveryCount(headers: MessageHeaders, body: Buffer): number | undefined {
    const source = this.host.redeliveries;
    if (source !== 'x-delivery-count') return source.redelivered(this.queue, body);
    const count = headers['x-delivery-count'];
    return typeof count === 'number' ? count : undefined;
  }

  private channelClosed(channel: Channel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.consumerTag = undefined;
    if (!this.life.is('open')) return;
    this.life.to('recovering');
    this.epoch += 1;
    const held = this.handedOut.size;
    this.forgetHeld();
    // A waiting pull's deliveries came on the dead channel and will come again: it waits for them (the node pauses).
    this.waiter.restart();
    this.host.logger.warn(
      { queue: this.queue, held },
      'RabbitMQ consumer channel closed; its unacknowledged messages will be redelivered',
    );
    this.host.settled();
    void this.recover();
  }

  private async recover(): Promise<void> {
    let failures = 0;
    let delayMs = this.host.reconnectDelayMs;
    // Let the connection's own close event (if it is the cause) reach the keeper first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.life.is('recovering')) {
      let model: ChannelModel;
      try {
        model = await this.host.keeper.whenUp();
      } catch (error) {
        if (error instanceof KeeperClosedError) void this.close();
        else this.fail(error);
        return;
      }
      if (!this.life.is('recovering')) return;
      try {
        await this.attach(model);
      } catch (error) {
        if (!this.life.is('recovering')) return;
        if (replyCodeOf(error) === 404) {
          this.fail(new UnknownQueueError('consume', this.queue, { cause: error }));
          return;
        }
        if (this.host.keeper.current === model && ++failures >= MAX_CHANNEL_FAILURES) {
          this.fail(
            new RabbitMqChannelError(
              `consuming ${JSON.stringify(this.queue)} failed ${failures} times in a row: ${describeError(error)}`,
              { cause: error },
            ),
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, 5_000);
        continue;
      }
      if (!this.life.is('recovering')) {
        if (this.channel !== undefined) void closeQuietly(this.channel);
        this.channel = undefined;
        return;
      }
      this.life.to('open');
      this.host.logger.info({ queue: this.queue }, 'RabbitMQ consumer resumed');
      return;
    }
  }

  private async settle(deliveries: readonly Delivery[], how: SettleHow): Promise<void> {
    if (this.life.is('closed')) throw new ConsumerClosedError(how, this.queue);
    const tags: number[] = [];
    let ascending = true;
    let seen: Set<number> | undefined;
    for (const delivery of deliveries) {
      if (!(delivery instanceof RmqDelivery) || delivery.consumer !== this) {
        throw new UnknownDeliveryError(how, this.queue);
      }
      // From a channel that closed since: the broker took it back and delivers it again. Nothing to settle.
      if (delivery.channelEpoch !== this.epoch) continue;
      const tag = delivery.deliveryTag;
      if (this.handedOut.get(tag) !== delivery) throw new UnknownDeliveryError(how, this.queue);
      const last = tags.length > 0 ? (tags[tags.length - 1] as number) : -1;
      if (tag <= last) {
        ascending = false;
        seen ??= new Set(tags);
        if (seen.has(tag)) throw new UnknownDeliveryError(how, this.queue);
      }
      seen?.add(tag);
      tags.push(tag);
    }
    if (tags.length === 0) return;
    if (!ascending) tags.sort((a, b) => a - b);
    for (const tag of tags) this.handedOut.delete(tag);
    const channel = this.channel;
    if (channel !== undefined) {
      let oldestHeld = Number.POSITIVE_INFINITY;
      for (const tag of this.handedOut.keys()) {
        oldestHeld = tag;
        break;
      }
      try {
        sendSettlement(channel, tags, oldestHeld, how);
        this.lastSettledAt = performance.now();
      } catch (error) {
        // The channel is closing: the broker gives these back and they come again, which is what at-least-once allows.
        this.host.logger.debug(
          { queue: this.queue, error: describeError(error) },
          'settling on a closing channel',
        );
      }
    }
    this.host.settled();
    if (this.waiter.waiting && this.head < this.buffer.length) this.offer();
  }

  private fill(batch: RmqDelivery[], max: number): void {
    if (!this.host.handingOut) return;
    const { buffer } = this;
    while (batch.length < max && this.head < buffer.length) {
      const delivery = buffer[this.head] as RmqDelivery;
      this.head += 1;
      this.handedOut.set(delivery.deliveryTag, delivery);
      batch.push(delivery);
    }
    if (this.head === buffer.length) {
      buffer.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > buffer.length) {
      this.buffer = buffer.slice(this.head);
      this.head = 0;
    }
  }

  private offer(): void {
    this.waiter.offer();
  }

  private forgetHeld(): void {
    this.handedOut.clear();
    this.buffer = [];
    this.head = 0;
  }
}
