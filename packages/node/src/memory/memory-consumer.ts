/**
 * A consumer of one in-memory queue. It takes ready messages only while it has room under `maxUnacked`, and only for a
 * pending `nextBatch` (no prefetch: the queue is in the same process). Arrivals and acks wake it; nothing polls.
 */
import { ConsumerBusyError, ConsumerClosedError, UnknownDeliveryError } from '../errors.js';
import type { Delivery, NextBatchOptions, StreamConsumer } from '../stream-adapter.js';
import type { MemoryDelivery, MemoryQueue, QueueListener } from './memory-broker.js';

interface PendingPull {
  readonly batch: MemoryDelivery[];
  readonly max: number;
  readonly timeoutMs: number;
  readonly resolve: (batch: Delivery[]) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** What the consumer asks of its adapter. */
export interface ConsumerOwner {
  /** False while the adapter drains: consumers stop taking new messages. */
  readonly handingOut: boolean;
  /** Told when the consumer's unacknowledged set changes, so a draining adapter knows when it is done. */
  settled(): void;
  closed(consumer: MemoryConsumer): void;
}

export class MemoryConsumer implements StreamConsumer, QueueListener {
  /** In delivery order (a Set keeps insertion order), which is the order they go back on close. */
  private readonly unacked = new Set<MemoryDelivery>();
  private pending: PendingPull | undefined;
  private isClosed = false;

  constructor(
    private readonly source: MemoryQueue,
    private readonly maxUnacked: number,
    private readonly owner: ConsumerOwner,
  ) {
    source.attach(this);
  }

  get queue(): string {
    return this.source.name;
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  nextBatch(options: NextBatchOptions): Promise<Delivery[]> {
    if (this.isClosed) return Promise.reject(new ConsumerClosedError('pull', this.queue));
    if (this.pending !== undefined) return Promise.reject(new ConsumerBusyError(this.queue));
    const { max, timeoutMs, signal } = options;
    if (!(Number.isSafeInteger(max) && max >= 1)) {
      return Promise.reject(
        new RangeError(`nextBatch max must be a whole number >= 1, got ${String(max)}`),
      );
    }
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(
        new RangeError(`nextBatch timeoutMs must be >= 0, got ${String(timeoutMs)}`),
      );
    }
    const batch: MemoryDelivery[] = [];
    if (signal?.aborted) return Promise.resolve(batch);
    this.fill(batch, max);
    if (batch.length === max) return Promise.resolve(batch);

    return new Promise<Delivery[]>((resolve, reject) => {
      const pull: PendingPull = {
        batch,
        max,
        timeoutMs,
        resolve,
        reject,
        signal,
        onAbort: () => this.finish(),
        timer: undefined,
      };
      this.pending = pull;
      signal?.addEventListener('abort', pull.onAbort, { once: true });
      if (batch.length > 0) this.startTimer(pull);
    });
  }

  offer(): void {
    const pull = this.pending;
    if (pull === undefined) return;
    const before = pull.batch.length;
    this.fill(pull.batch, pull.max);
    if (pull.batch.length === pull.max) this.finish();
    else if (before === 0 && pull.batch.length > 0) this.startTimer(pull);
  }

  ack(deliveries: readonly Delivery[]): Promise<void> {
    if (this.isClosed) return Promise.reject(new ConsumerClosedError('ack', this.queue));
    if (!this.release(deliveries))
      return Promise.reject(new UnknownDeliveryError('ack', this.queue));
    this.afterSettle();
    return Promise.resolve();
  }

  requeue(deliveries: readonly Delivery[]): Promise<void> {
    if (this.isClosed) return Promise.reject(new ConsumerClosedError('requeue', this.queue));
    if (!this.release(deliveries)) {
      return Promise.reject(new UnknownDeliveryError('requeue', this.queue));
    }
    this.source.returnToHead(deliveries as readonly MemoryDelivery[]);
    this.afterSettle();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.shut();
    return Promise.resolve();
  }

  /** Closes now: a pending pull rejects, unsettled deliveries go back to the queue. Used by the adapter too. */
  shut(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const pull = this.pending;
    if (pull !== undefined) {
      this.clearPending(pull);
      pull.reject(new ConsumerClosedError('pull', this.queue));
    }
    this.source.detach(this);
    const held = [...this.unacked];
    this.unacked.clear();
    if (held.length > 0) this.source.returnToHead(held);
    this.owner.closed(this);
  }

  /**
   * Removes the deliveries from the unacknowledged set, all or none: on the first one not held (or held twice in the
   * call) it puts back those it removed and returns false.
   */
  private release(deliveries: readonly Delivery[]): boolean {
    let released = 0;
    for (; released < deliveries.length; released++) {
      if (!this.unacked.delete(deliveries[released] as MemoryDelivery)) break;
    }
    if (released === deliveries.length) return true;
    for (let i = 0; i < released; i++) this.unacked.add(deliveries[i] as MemoryDelivery);
    return false;
  }

  private afterSettle(): void {
    this.owner.settled();
    // Room under maxUnacked may let a pending pull take more.
    if (this.pending !== undefined && this.source.ready.length > 0) this.offer();
  }

  private fill(batch: MemoryDelivery[], max: number): void {
    if (!this.owner.handingOut) return;
    while (batch.length < max && this.unacked.size < this.maxUnacked) {
      const delivery = this.source.take();
      if (delivery === undefined) return;
      this.unacked.add(delivery);
      batch.push(delivery);
    }
  }

  private startTimer(pull: PendingPull): void {
    pull.timer = setTimeout(() => this.finish(), pull.timeoutMs);
  }

  private finish(): void {
    const pull = this.pending;
    if (pull === undefined) return;
    this.clearPending(pull);
    pull.resolve(pull.batch);
  }

  private clearPending(pull: PendingPull): void {
    this.pending = undefined;
    if (pull.timer !== undefined) clearTimeout(pull.timer);
    pull.signal?.removeEventListener('abort', pull.onAbort);
  }
}
