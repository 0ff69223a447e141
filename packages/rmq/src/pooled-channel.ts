/**
 * One confirm channel of the publisher's pool (publisher.ts): the batches waiting for confirms on it, and the confirm
 * callbacks amqplib is given, made once per slot and used again (a slot names the batch and position of one
 * unconfirmed message), so a confirm finds its message without an allocation per message. Several batches may wait on
 * one channel at once (a lane's calls); a return (an unroutable message) is told to all of them.
 */
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { describeError } from '@monomyth/node/adapter';
import type { Logger } from '@monomyth/node';
import type { BatchSend } from './batch-send.js';

export class PooledChannel {
  alive = true;
  /** Takes no new batch (it nacked): closes once the batches on it have their confirms. */
  retiring = false;
  /** Batches waiting for confirms on this channel (one, or a lane's calls in flight), for returns to find them. */
  readonly batches = new Set<BatchSend>();
  /** Confirm callbacks by slot, made once per channel and slot. */
  private readonly confirmers: ((error: unknown) => void)[] = [];
  /** The batch and position of the message each slot stands for while it waits for its confirm. */
  private readonly slotBatches: (BatchSend | undefined)[] = [];
  private readonly slotIndexes: number[] = [];
  private readonly freeSlots: number[] = [];
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly channel: ConfirmChannel,
    readonly model: ChannelModel,
    logger: Logger,
  ) {
    channel.on('error', (error: Error) => {
      logger.warn({ error: describeError(error) }, 'RabbitMQ publishing channel error');
    });
    channel.on('close', () => {
      this.alive = false;
      this.wakeDrainWaiters();
    });
    channel.on('drain', () => this.wakeDrainWaiters());
    channel.on('return', (message: Message) => {
      const { exchange, routingKey } = message.fields;
      for (const batch of this.batches) batch.returned(exchange, routingKey);
    });
  }

  /** True when a new batch may go on it. */
  get usable(): boolean {
    return this.alive && !this.retiring;
  }

  /** A slot for the message at `index` of `batch`: its confirm callback is `confirmer(slot)`. */
  claim(batch: BatchSend, index: number): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.confirmers.length;
      const mine = slot;
      this.confirmers.push((error) => this.confirm(mine, error));
    }
    this.slotBatches[slot] = batch;
    this.slotIndexes[slot] = index;
    return slot;
  }

  confirmer(slot: number): (error: unknown) => void {
    return this.confirmers[slot] as (error: unknown) => void;
  }

  /** The message of `slot` was not sent after all (amqplib threw before taking its callback). */
  unclaim(slot: number): void {
    this.slotBatches[slot] = undefined;
    this.freeSlots.push(slot);
  }

  /** Resolves when the channel can take more writes, or died. */
  waitForDrain(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
    });
  }

  private confirm(slot: number, error: unknown): void {
    const batch = this.slotBatches[slot];
    const index = this.slotIndexes[slot] as number;
    this.slotBatches[slot] = undefined;
    this.freeSlots.push(slot);
    batch?.confirmed(index, error);
  }

  private wakeDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
