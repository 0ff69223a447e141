/**
 * Where a batch's transform phase records each message's fate: outputs to publish, failures, messages to give back.
 * Messages taken one at a time write into a `BatchResult` directly; messages transformed concurrently finish in any
 * order, so they go into `OrderedSlots` by index and are replayed into a `BatchResult` in source order.
 */
import type { MessageFailure } from './failure-policy.js';
import type { Delivery, OutgoingMessage } from './stream-adapter.js';

/** A message that failed in the transform phase, and why. */
export interface FailedMessage {
  readonly delivery: Delivery;
  readonly failure: MessageFailure;
}

/** Where the transform phase puts each message's fate. */
export interface MessageSink {
  none(index: number, delivery: Delivery): void;
  one(index: number, delivery: Delivery, message: OutgoingMessage): void;
  many(index: number, delivery: Delivery, messages: OutgoingMessage[]): void;
  failed(index: number, delivery: Delivery, failure: MessageFailure): void;
  /** The node was stopping and the transform gave up: the message goes back untouched. */
  aborted(index: number, delivery: Delivery): void;
}

/**
 * What a batch's transform phase produced, outputs in source order. Messages processed one at a time write here
 * directly; concurrent ones go through `OrderedSlots` first.
 */
export class BatchResult implements MessageSink {
  readonly publishes: OutgoingMessage[] = [];
  /** Failed or given back; the batch's other deliveries are done with once `publishes` are durable. */
  failures: FailedMessage[] | undefined;
  giveBack: Delivery[] | undefined;
  processed = 0;
  /**
   * `ends[i]`: the length of `publishes` once message `i` was recorded, so the outputs of message `i` are
   * `publishes[ends[i - 1] .. ends[i])`. One small array per batch; read only when a publish refused some messages,
   * to find whose outputs they were (`ownerOf`).
   */
  readonly ends: Uint32Array;

  constructor(readonly batch: readonly Delivery[]) {
    this.ends = new Uint32Array(batch.length);
  }

  none(index: number, _delivery: Delivery): void {
    this.processed += 1;
    this.ends[index] = this.publishes.length;
  }

  one(index: number, _delivery: Delivery, message: OutgoingMessage): void {
    this.publishes.push(message);
    this.processed += 1;
    this.ends[index] = this.publishes.length;
  }

  many(index: number, _delivery: Delivery, messages: OutgoingMessage[]): void {
    for (const message of messages) this.publishes.push(message);
    this.processed += 1;
    this.ends[index] = this.publishes.length;
  }

  failed(index: number, delivery: Delivery, failure: MessageFailure): void {
    (this.failures ??= []).push({ delivery, failure });
    this.ends[index] = this.publishes.length;
  }

  aborted(index: number, delivery: Delivery): void {
    (this.giveBack ??= []).push(delivery);
    this.ends[index] = this.publishes.length;
  }

  /** The delivery whose output is `publishes[publishIndex]` (an output, not a fail-queue copy added after). */
  ownerOf(publishIndex: number): Delivery {
    const { ends } = this;
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ends[mid] as number) > publishIndex) hi = mid;
      else lo = mid + 1;
    }
    return this.batch[lo] as Delivery;
  }

  /**
   * The deliveries done with once `publishes` are durable: the whole batch when nothing failed (the usual case, and
   * no array to build), else those that neither failed nor were given back.
   */
  done(): Delivery[] {
    if (this.failures === undefined && this.giveBack === undefined) return this.batch as Delivery[];
    const out = new Set<Delivery>();
    for (const { delivery } of this.failures ?? []) out.add(delivery);
    for (const delivery of this.giveBack ?? []) out.add(delivery);
    return this.batch.filter((delivery) => !out.has(delivery));
  }
}

const enum Slot {
  Empty = 0,
  None = 1,
  One = 2,
  Many = 3,
  Failed = 4,
  Aborted = 5,
}

/** Fates of messages transformed concurrently, by index, replayed into a BatchResult in source order. */
export class OrderedSlots implements MessageSink {
  private readonly kinds: Uint8Array;
  private readonly values: unknown[];

  constructor(size: number) {
    this.kinds = new Uint8Array(size);
    this.values = new Array<unknown>(size);
  }

  none(index: number): void {
    this.kinds[index] = Slot.None;
  }

  one(index: number, _delivery: Delivery, message: OutgoingMessage): void {
    this.kinds[index] = Slot.One;
    this.values[index] = message;
  }

  many(index: number, _delivery: Delivery, messages: OutgoingMessage[]): void {
    this.kinds[index] = Slot.Many;
    this.values[index] = messages;
  }

  failed(index: number, _delivery: Delivery, failure: MessageFailure): void {
    this.kinds[index] = Slot.Failed;
    this.values[index] = failure;
  }

  aborted(index: number): void {
    this.kinds[index] = Slot.Aborted;
  }

  replay(batch: readonly Delivery[], into: BatchResult): void {
    for (let i = 0; i < batch.length; i++) {
      const delivery = batch[i] as Delivery;
      switch (this.kinds[i] as Slot) {
        case Slot.None:
          into.none(i, delivery);
          break;
        case Slot.One:
          into.one(i, delivery, this.values[i] as OutgoingMessage);
          break;
        case Slot.Many:
          into.many(i, delivery, this.values[i] as OutgoingMessage[]);
          break;
        case Slot.Failed:
          into.failed(i, delivery, this.values[i] as MessageFailure);
          break;
        default:
          // Aborted, or never reached because the node stopped: back to the queue untouched.
          into.aborted(i, delivery);
      }
    }
  }
}
