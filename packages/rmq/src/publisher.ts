/**
 * Publishing with confirms, a batch at a time, on the publishing connection.
 *
 * Each batch takes a confirm channel of its own from a small pool for as long as it waits for its confirms, so one
 * node's batch never waits behind another's: in practice a channel per publishing node. A lane (publish-lane.ts)
 * keeps one channel for its calls instead and writes them in call order, each while the ones before still wait for
 * their confirms. A batch is written in one go (pausing only when the socket asks to, on 'drain') and shares one
 * promise, whatever its size; its confirm callbacks are closures kept per channel and slot (a slot names one
 * unconfirmed message's batch and position, and is used again once confirmed), so a confirm names its message without
 * an allocation per message.
 *
 * Messages go to the default exchange with the queue as routing key, `persistent` and `mandatory`. A nack is the
 * broker declining a message for now (a quorum queue whose leader died nacks until a new one is elected and the
 * channel finds it; a full queue with `x-overflow: reject-publish` nacks until it drains), not the message's fault:
 * the nacked messages, and only they, are sent again, on a new channel (see `send`; the old one closes once nothing
 * waits on it), with backoff (50 ms doubling to 2 s) for up to `nackRetryMs`; after that the batch rejects with
 * `RabbitMqPublishNackedError`. When the channel or the
 * connection dies before every confirm arrived, what was being sent is sent again, whole, on a new channel once the
 * connection is back: a publish in flight during a loss is retried, never dropped (and may be stored twice:
 * at-least-once).
 *
 * A message refused on its own account costs only itself: the others are sent and confirmed, and the batch then
 * rejects with `MessagesRejectedError` naming it. Three such refusals:
 * - a body over `maxMessageBytes`: skipped before sending (the broker would close the channel with a 406);
 * - headers amqplib cannot encode (over its 64 KiB field-table buffer, a value of no AMQP type): `channel.publish`
 *   throws before writing anything, so the channel is untouched; the message is skipped;
 * - no route (its queue was deleted): it comes back as a basic.return before its ack; every message of the batch
 *   with that routing key is named, with an `UnknownQueueError` as cause.
 */
import type { ConfirmChannel, Options } from 'amqplib';
import { MessagesRejectedError, describeError } from '@monomyth/node/adapter';
import type { Logger } from '@monomyth/node';
import type { OutgoingMessage, RejectedMessage } from '@monomyth/node/adapter';
import type { ConnectionKeeper } from './connection-keeper.js';
import { RabbitMqChannelError, RabbitMqPublishNackedError } from './errors.js';
import { BatchSend, ChannelLost } from './batch-send.js';
import { PooledChannel } from './pooled-channel.js';
import type { RouteOf } from './batch-send.js';
import { toBuffer } from './wire.js';
import { closeQuietly } from './close-quietly.js';
import type { LaneCall, RabbitMqPublishLane } from './publish-lane.js';

/** Idle confirm channels kept open for the next batches. */
const MAX_IDLE_CHANNELS = 32;
/** Channel failures in a row, with the connection up, before a batch gives up. */
const MAX_CHANNEL_FAILURES = 3;
/** The first wait before nacked messages are sent again; doubles up to the maximum. */
const NACK_MIN_DELAY_MS = 50;
const NACK_MAX_DELAY_MS = 2000;

/** The publish options of a message without headers. */
const PLAIN: Options.Publish = Object.freeze({ persistent: true, mandatory: true });

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
    /** Bodies above this are refused before sending. */
    private readonly maxMessageBytes: number,
    /** How long nacked messages are sent again before the publish rejects. */
    private readonly nackRetryMs: number,
  ) {}

  /**
   * Publishes `messages` and resolves once the broker confirmed every one. Retries what is unconfirmed after a lost
   * channel or connection, and the nacked messages for up to `nackRetryMs`; rejects when the keeper gives up or the
   * adapter closes.
   */
  async publish(messages: readonly OutgoingMessage[], call?: LaneCall): Promise<void> {
    if (messages.length === 0) return;
    // A lane's calls are written in call order: this one after the one before it has written.
    const before = call?.previous;
    if (before !== undefined && !before.finished) await before.written;
    /** What is sent this round: all of `messages`, then only those nacked. */
    let pending = messages;
    /** Where each message of `pending` sits in `messages` (undefined while they are the same). */
    let positions: number[] | undefined;
    let rejected: RejectedMessage[] | undefined;
    let failures = 0;
    let nackDeadline: number | undefined;
    let nackDelayMs = NACK_MIN_DELAY_MS;
    for (;;) {
      const pooled = call === undefined ? await this.acquire() : await this.acquireFor(call.lane);
      let batch: BatchSend;
      try {
        batch = await this.send(pooled, pending, call);
      } catch (error) {
        if (!(error instanceof ChannelLost)) throw error;
        // Messages refused for themselves are refused again on the next channel: the error names them.
        if (!this.retrying()) throw this.closedError();
        // A channel that died while its connection stayed up failed for a reason of its own: don't loop forever.
        if (this.keeper.current === pooled.model && ++failures >= MAX_CHANNEL_FAILURES) {
          throw new RabbitMqChannelError(
            `publishing failed ${failures} times in a row on a live connection: ${error.message}`,
            { cause: error },
          );
        }
        this.logger.warn(
          { error: error.message, messages: pending.length },
          'publish interrupted; sending the batch again',
        );
        continue;
      } finally {
        if (call === undefined) this.release(pooled);
        else this.leaveLaneChannel(pooled, call.lane);
      }
      const refused = batch.rejected();
      if (refused !== undefined) {
        rejected ??= [];
        for (const message of refused)
          rejected.push(
            positions === undefined
              ? message
              : { ...message, index: positions[message.index] as number },
          );
      }
      const nacked = batch.nacked;
      if (nacked === undefined) break;
      const now = Date.now();
      nackDeadline ??= now + this.nackRetryMs;
      const again = nacked.map((index) => pending[index] as OutgoingMessage);
      if (now >= nackDeadline || !this.retrying())
        throw new RabbitMqPublishNackedError(distinctQueues(again));
      this.logger.warn(
        { nacked: nacked.length, messages: messages.length, delayMs: nackDelayMs },
        'RabbitMQ nacked messages; sending them again',
      );
      await new Promise((resolve) => setTimeout(resolve, nackDelayMs));
      nackDelayMs = Math.min(NACK_MAX_DELAY_MS, nackDelayMs * 2);
      const before = positions;
      positions = nacked.map((index) => (before === undefined ? index : (before[index] as number)));
      pending = again;
    }
    if (rejected !== undefined)
      throw new MessagesRejectedError('publish', rejected, messages.length);
  }

  /** Closes every channel; batches still waiting reject (and are not retried once `retrying()` is false). */
  async close(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    this.idle = [];
    await Promise.all(all.map((pooled) => closeQuietly(pooled.channel)));
  }

  /** The lane will make no more calls: its channel goes back to the pool once nothing waits on it. */
  closeLane(lane: RabbitMqPublishLane): void {
    const pooled = lane.channel;
    if (pooled !== undefined && pooled.batches.size === 0) {
      lane.channel = undefined;
      this.release(pooled);
    }
  }

  /**
   * Sends `messages` on `pooled` and resolves with their batch once every confirm arrived (ChannelLost if not). A
   * lane's `call` is told once every message is written, so the lane's next call may write.
   */
  private async send(
    pooled: PooledChannel,
    messages: readonly OutgoingMessage[],
    call: LaneCall | undefined,
  ): Promise<BatchSend> {
    const { channel } = pooled;
    const batch = new BatchSend(messages, this.routeOf);
    const { maxMessageBytes } = this;
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
        if (message.body.byteLength > maxMessageBytes) {
          batch.skipped(
            i,
            `a body of ${message.body.byteLength} bytes, over maxMessageBytes (${maxMessageBytes})`,
          );
          continue;
        }
        // amqplib copies the options into the frame's fields: a message without headers shares one object.
        const options: Options.Publish =
          message.headers === undefined
            ? PLAIN
            : { persistent: true, mandatory: true, headers: message.headers };
        let ready: boolean;
        const slot = pooled.claim(batch, i);
        try {
          ready = channel.publish(
            route.exchange,
            route.routingKey,
            toBuffer(message.body),
            options,
            pooled.confirmer(slot),
          );
        } catch (error) {
          pooled.unclaim(slot);
          // amqplib encodes the frames before writing: a message it cannot encode left the channel untouched.
          if (error instanceof RangeError || error instanceof TypeError) {
            batch.skipped(i, `headers that cannot be encoded: ${describeError(error)}`, error);
            continue;
          }
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
      call?.done();
      await batch.done;
      if (batch.nacked !== undefined) {
        // A quorum queue's client state lives in the channel: one that first published while the queue's leader was
        // dead keeps asking that dead node (RabbitMQ 3.10's rabbit_fifo_client) and nacks every publish to the queue
        // for as long as the channel lives. A new channel reads the queue's current leader; this one closes once
        // nothing else waits on it (a lane's later calls).
        pooled.retiring = true;
      }
      return batch;
    } finally {
      call?.done();
      pooled.batches.delete(batch);
    }
  }

  /** The lane's channel, or a new one for it once that one died or retired (one opening shared by its calls). */
  private acquireFor(lane: RabbitMqPublishLane): Promise<PooledChannel> {
    const current = lane.channel;
    if (current !== undefined && current.usable && current.model === this.keeper.current)
      return Promise.resolve(current);
    lane.acquiring ??= this.acquire().then(
      (pooled) => {
        lane.acquiring = undefined;
        const old = lane.channel;
        lane.channel = pooled;
        if (old !== undefined && old.batches.size === 0) this.release(old);
        return pooled;
      },
      (error: unknown) => {
        lane.acquiring = undefined;
        throw error;
      },
    );
    return lane.acquiring;
  }

  /** A lane's call is done with `pooled`: it goes back to the pool (or closes) once no call of the lane needs it. */
  private leaveLaneChannel(pooled: PooledChannel, lane: RabbitMqPublishLane): void {
    if (pooled.batches.size > 0) return;
    if (lane.channel === pooled) {
      if (!lane.closed && pooled.usable) return;
      lane.channel = undefined;
    }
    this.release(pooled);
  }

  private async acquire(): Promise<PooledChannel> {
    for (;;) {
      const model = await this.keeper.whenUp();
      let pooled = this.idle.pop();
      while (pooled !== undefined && !(pooled.usable && pooled.model === model)) {
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
        this.logger.debug({ error: describeError(error) }, 'could not open a publishing channel');
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      pooled = new PooledChannel(channel, model, this.logger);
      this.open.add(pooled);
      return pooled;
    }
  }

  private release(pooled: PooledChannel): void {
    if (!pooled.usable || !this.open.has(pooled)) {
      this.open.delete(pooled);
      if (pooled.alive) void closeQuietly(pooled.channel);
      return;
    }
    if (this.idle.length >= MAX_IDLE_CHANNELS) {
      this.open.delete(pooled);
      void closeQuietly(pooled.channel);
      return;
    }
    this.idle.push(pooled);
  }
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
