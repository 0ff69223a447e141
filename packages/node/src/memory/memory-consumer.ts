/**
 * A consumer of one in-memory queue. It takes ready messages only while it has room under `maxUnacked`, and only for a
 * pending `nextBatch` (no prefetch: the queue is in the same process). Arrivals and acks wake it; nothing polls.
 * `deadLetter` moves deliveries, as they are, to the fail queue it was opened with, the way a broker's dead-letter
 * exchange does.
 */
import { BatchWaiter } from '../batch-waiter.js';
import { ConsumerClosedError, UnknownDeliveryError } from '../errors.js';
import type {
  DeadLetterCapable,
  Delivery,
  NextBatchOptions,
  StreamConsumer,
} from '../stream-adapter.js';
import { MemoryDelivery } from './memory-broker.js';
import type { MemoryBroker, MemoryQueue, QueueListener } from './memory-broker.js';

/** What the consumer asks of its adapter. */
export interface ConsumerOwner {
  /** False while the adapter drains: consumers stop taking new messages. */
  readonly handingOut: boolean;
  readonly broker: MemoryBroker;
  /** Told when the consumer's unacknowledged set changes, so a draining adapter knows when it is done. */
  settled(): void;
  closed(consumer: MemoryConsumer): void;
}

export class MemoryConsumer implements StreamConsumer, DeadLetterCapable, QueueListener {
  /** In delivery order (a Set keeps insertion order), which is the order they go back on close. */
  private readonly unacked = new Set<MemoryDelivery>();
  private readonly waiter: BatchWaiter<MemoryDelivery>;
  private isClosed = false;

  constructor(
    private readonly source: MemoryQueue,
    private readonly maxUnacked: number,
    private readonly owner: ConsumerOwner,
    /** Where `deadLetter` puts messages: the consuming node's fail queue. */
    private readonly failQueue: MemoryQueue | undefined = undefined,
  ) {
    this.waiter = new BatchWaiter(source.name, (batch, max) => this.fill(batch, max));
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
    return this.waiter.pull(options);
  }

  offer(): void {
    this.waiter.offer();
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

  deadLetter(deliveries: readonly Delivery[]): Promise<void> {
    if (this.isClosed) return Promise.reject(new ConsumerClosedError('dead-letter', this.queue));
    const failQueue = this.failQueue;
    if (failQueue === undefined) {
      return Promise.reject(
        new TypeError(
          `the consumer of ${JSON.stringify(this.queue)} was opened without a failQueue`,
        ),
      );
    }
    if (!this.release(deliveries))
      return Promise.reject(new UnknownDeliveryError('dead-letter', this.queue));
    for (const delivery of deliveries) {
      this.owner.broker.release(
        failQueue,
        MemoryDelivery.of(failQueue.name, delivery.body, delivery.headers),
      );
    }
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
    this.waiter.detach()?.(new ConsumerClosedError('pull', this.queue));
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
    if (this.waiter.waiting && this.source.ready.length > 0) this.offer();
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
}
