/**
 * Publishing with confirms, a batch at a time, on the publishing connection.
 *
 * Each batch takes a confirm channel of its own from a small pool for as long as it waits for its confirms, so one
 * node's batch never waits behind another's: in practice a channel per publishing node. A batch is written in one go
 * (pausing only when the socket asks to, on 'drain') and shares one confirm callback and one promise, whatever its size.
 *
 * Messages go to the default exchange with the queue as routing key, `persistent` and `mandatory`: a message the broker
 * cannot route (its queue was deleted) comes back as a basic.return before its ack, and the batch rejects with
 * `UnknownQueueError`. A nack rejects it with `RabbitMqPublishNackedError`. When the channel or the connection dies
 * before every confirm arrived, the batch is sent again, whole, on a new channel once the connection is back: a
 * publish in flight during a loss is retried, never dropped (and may be stored twice: at-least-once).
 */
import type { Channel, ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import { UnknownQueueError } from '@monomyth/node';
import type { Logger, OutgoingMessage } from '@monomyth/node';
import type { ConnectionKeeper } from './connection-keeper.js';
import { RabbitMqChannelError, RabbitMqPublishNackedError, messageOf } from './errors.js';
import { toBuffer } from './wire.js';

/** Idle confirm channels kept open for the next batches. */
const MAX_IDLE_CHANNELS = 32;
/** Channel failures in a row, with the connection up, before a batch gives up. */
const MAX_CHANNEL_FAILURES = 3;

/** Where a message to `queue` goes: the exchange and routing key. */
export type RouteOf = (queue: string) => { readonly exchange: string; readonly routingKey: string };

/** The channel died under the batch: send it again on another one. */
class ChannelLost extends Error {
  constructor(cause: unknown) {
    super(`the channel closed before every confirm arrived: ${messageOf(cause)}`, { cause });
  }
}

class PooledChannel {
  alive = true;
  /** Batches waiting for confirms on this channel (at most one, but a return must find it). */
  readonly batches = new Set<BatchSend>();
  private drainWaiter: (() => void) | undefined;

  constructor(
    readonly channel: ConfirmChannel,
    readonly model: ChannelModel,
    logger: Logger,
  ) {
    channel.on('error', (error: Error) => {
      logger.warn({ error: messageOf(error) }, 'RabbitMQ publishing channel error');
    });
    channel.on('close', () => {
      this.alive = false;
      this.drainWaiter?.();
    });
    channel.on('drain', () => this.drainWaiter?.());
    channel.on('return', (message: Message) => {
      const queue = message.fields.routingKey;
      for (const batch of this.batches) batch.returned(queue);
    });
  }

  /** Resolves when the channel can take more writes, or died. */
  waitForDrain(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiter = () => {
        this.drainWaiter = undefined;
        resolve();
      };
    });
  }
}

/** One batch waiting for its confirms: one callback shared by all its messages. */
class BatchSend {
  private remaining: number;
  private nacked = false;
  private lost: unknown;
  private unroutable: string | undefined;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;
  readonly done: Promise<void>;
  readonly onConfirm = (error: unknown): void => {
    if (error !== null && error !== undefined) {
      if (messageOf(error) === 'message nacked') this.nacked = true;
      else this.lost ??= error;
    }
    this.remaining -= 1;
    if (this.remaining === 0) this.finish();
  };

  constructor(
    count: number,
    readonly queues: readonly string[],
  ) {
    this.remaining = count;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** The broker could not route a message to `queue`. */
  returned(queue: string): void {
    if (this.queues.includes(queue)) this.unroutable ??= queue;
  }

  /** `count` messages were never written (the channel closed under the loop). */
  notSent(count: number, error: unknown): void {
    this.lost ??= error;
    this.remaining -= count;
    if (this.remaining === 0) this.finish();
  }

  private finish(): void {
    if (this.unroutable !== undefined)
      this.reject(new UnknownQueueError('publish', this.unroutable));
    else if (this.lost !== undefined) this.reject(new ChannelLost(this.lost));
    else if (this.nacked) this.reject(new RabbitMqPublishNackedError(this.queues));
    else this.resolve();
  }
}

export class Publisher {
  private idle: PooledChannel[] = [];
  private readonly open = new Set<PooledChannel>();

  constructor(
    private readonly keeper: ConnectionKeeper,
    private readonly routeOf: RouteOf,
    private readonly logger: Logger,
    /** True while the adapter wants publishes retried after a loss. */
    private readonly retrying: () => boolean,
    /** The error a publish rejects with once the adapter stopped retrying. */
    private readonly closedError: () => unknown,
  ) {}

  /**
   * Publishes `messages` and resolves once the broker confirmed every one. Retries the whole batch after a lost
   * channel or connection; rejects when the keeper gives up or the adapter closes.
   */
  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const queues = distinctQueues(messages);
    let failures = 0;
    for (;;) {
      const pooled = await this.acquire();
      try {
        await this.send(pooled, messages, queues);
        return;
      } catch (error) {
        if (!(error instanceof ChannelLost)) throw error;
        if (!this.retrying()) throw this.closedError();
        // A channel that died while its connection stayed up failed for a reason of its own: don't loop forever.
        if (this.keeper.current === pooled.model && ++failures >= MAX_CHANNEL_FAILURES) {
          throw new RabbitMqChannelError(
            `publishing failed ${failures} times in a row on a live connection: ${error.message}`,
            { cause: error },
          );
        }
        this.logger.warn(
          { error: error.message, messages: messages.length },
          'publish interrupted; sending the batch again',
        );
      } finally {
        this.release(pooled);
      }
    }
  }

  /** Closes every channel; batches still waiting reject (and are not retried once `retrying()` is false). */
  async close(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    this.idle = [];
    await Promise.all(all.map((pooled) => pooled.channel.close().catch(() => {})));
  }

  private async send(
    pooled: PooledChannel,
    messages: readonly OutgoingMessage[],
    queues: readonly string[],
  ): Promise<void> {
    const { channel } = pooled;
    const batch = new BatchSend(messages.length, queues);
    pooled.batches.add(batch);
    try {
      let lastQueue: string | undefined;
      let route = { exchange: '', routingKey: '' };
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i] as OutgoingMessage;
        if (message.queue !== lastQueue) {
          lastQueue = message.queue;
          route = this.routeOf(lastQueue);
        }
        const options: Options.Publish = {
          persistent: true,
          mandatory: true,
          headers: message.headers,
        };
        let ready: boolean;
        try {
          ready = channel.publish(
            route.exchange,
            route.routingKey,
            toBuffer(message.body),
            options,
            batch.onConfirm,
          );
        } catch (error) {
          batch.notSent(messages.length - i, error);
          break;
        }
        if (!ready && i + 1 < messages.length) {
          await pooled.waitForDrain();
          if (!pooled.alive) {
            batch.notSent(messages.length - i - 1, new Error('channel closed'));
            break;
          }
        }
      }
      await batch.done;
    } finally {
      pooled.batches.delete(batch);
    }
  }

  private async acquire(): Promise<PooledChannel> {
    for (;;) {
      const model = await this.keeper.whenUp();
      let pooled = this.idle.pop();
      while (pooled !== undefined && !(pooled.alive && pooled.model === model)) {
        this.open.delete(pooled);
        pooled = this.idle.pop();
      }
      if (pooled !== undefined) return pooled;
      let channel: ConfirmChannel;
      try {
        channel = await model.createConfirmChannel();
      } catch (error) {
        if (!this.retrying()) throw this.closedError();
        // The connection is going away under us: the keeper notices; ask it again.
        this.logger.debug({ error: messageOf(error) }, 'could not open a publishing channel');
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      pooled = new PooledChannel(channel, model, this.logger);
      this.open.add(pooled);
      return pooled;
    }
  }

  private release(pooled: PooledChannel): void {
    if (!pooled.alive || !this.open.has(pooled)) {
      this.open.delete(pooled);
      return;
    }
    if (this.idle.length >= MAX_IDLE_CHANNELS) {
      this.open.delete(pooled);
      closeQuietly(pooled.channel);
      return;
    }
    this.idle.push(pooled);
  }
}

function closeQuietly(channel: Channel): void {
  channel.close().catch(() => {});
}

function distinctQueues(messages: readonly OutgoingMessage[]): string[] {
  const queues: string[] = [];
  let last: string | undefined;
  for (const message of messages) {
    if (message.queue === last) continue;
    last = message.queue;
    if (!queues.includes(last)) queues.push(last);
  }
  return queues;
}
