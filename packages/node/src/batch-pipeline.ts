/**
 * Overlapped batches (`batchesInFlight` > 1): while batch n waits for its publisher confirms, batch n+1 is already
 * pulled, transformed and published. These keep every guarantee of a single batch:
 *
 * - `BatchWindow` bounds the batches between pull and settlement: the pull loop takes a slot before each pull and a
 *   batch frees it when it ends (settled, failed or abandoned). The adapter's `maxUnacked` bounds their messages.
 * - `SettleTurn` makes a batch's acks, requeues and dead letters wait until the batch before it has ended. A batch
 *   whose confirms arrive first still settles after its elders, so settlement goes to the consumer in delivery order
 *   (RabbitMQ then acks each batch with one `multiple` frame), and no adapter sees a younger batch settled while an
 *   older one is still outstanding. Nothing is acked before its own outputs are durable: that stays the batch's job.
 * - It also makes a batch's publish wait until the batch before it has called `publish`: transforms overlap, but
 *   outputs reach the adapter in input order. publish-queue.ts then sends them one call at a time (the batches that
 *   got ready meanwhile together), so a node's outputs keep their order in the next queue on any adapter.
 *
 * Per batch this costs two turn objects and, only when an elder has not got there yet, a promise per wait.
 */
import type { Delivery, NextBatchOptions, StreamConsumer } from './stream-adapter.js';
import { isDeadLetterCapable } from './stream-adapter.js';

/** A batch's place in the settlement order: done once the batch ended. */
export class Turn {
  done = false;
  private waiting: Promise<void> | undefined;
  private resolve: (() => void) | undefined;

  /** Resolves once the turn ended. Made only when someone waits: most turns end before anyone asks. */
  get ended(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.waiting ??= new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
    return this.waiting;
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.resolve?.();
  }
}

/** The consumer as one batch sees it: settling waits for the batch before it to end. */
export class SettleTurn implements StreamConsumer {
  /** Present when the consumer has it (see `DeadLetterCapable`). */
  readonly deadLetter?: (deliveries: readonly Delivery[]) => Promise<void>;
  private readonly elder: Turn;

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly ticket: Ticket,
  ) {
    this.elder = ticket.elder;
    if (isDeadLetterCapable(consumer)) {
      const inner = consumer;
      this.deadLetter = (deliveries) => this.after(() => inner.deadLetter(deliveries));
    }
  }

  get queue(): string {
    return this.consumer.queue;
  }

  nextBatch(options: NextBatchOptions): Promise<Delivery[]> {
    return this.consumer.nextBatch(options);
  }

  ack(deliveries: readonly Delivery[]): Promise<void> {
    return this.elder.done
      ? this.consumer.ack(deliveries)
      : this.after(() => this.consumer.ack(deliveries));
  }

  requeue(deliveries: readonly Delivery[]): Promise<void> {
    return this.elder.done
      ? this.consumer.requeue(deliveries)
      : this.after(() => this.consumer.requeue(deliveries));
  }

  close(): Promise<void> {
    return this.consumer.close();
  }

  /** Undefined when the batch may publish now; otherwise resolves once the batch before it has published. */
  beforePublish(): Promise<void> | undefined {
    const elder = this.ticket.elderPublished;
    return elder.done ? undefined : elder.ended;
  }

  /** The batch called `publish` (or has nothing to publish): the next batch may publish. */
  published(): void {
    endAfter(this.ticket.published, this.ticket.elderPublished);
  }

  private after(settle: () => Promise<void>): Promise<void> {
    return this.elder.done ? settle() : this.elder.ended.then(settle);
  }
}

/** Ends `turn` once `elder` has ended: turns end in batch order. */
function endAfter(turn: Turn, elder: Turn): void {
  if (elder.done) turn.end();
  else void elder.ended.then(() => turn.end());
}

export interface Ticket {
  readonly messages: number;
  /** Ends when the batch has ended and every batch before it has. */
  readonly turn: Turn;
  readonly elder: Turn;
  /** Ends when the batch has called `publish` and every batch before it has. */
  readonly published: Turn;
  readonly elderPublished: Turn;
}

/** How many batches are between pull and settlement, and a wait for one of them to end. */
export class BatchWindow {
  /** Batches in flight. */
  size = 0;
  /** Their messages, for `NodeStats.inFlight`. */
  messages = 0;
  /** The youngest batch's turns: the next batch settles and publishes after it. */
  private youngest: Turn;
  private youngestPublished: Turn;
  private wake: (() => void) | undefined;
  private drained: (() => void) | undefined;

  constructor(readonly capacity: number) {
    this.youngest = new Turn();
    this.youngest.end();
    this.youngestPublished = this.youngest;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** Resolves once a batch ended (call only when `full`). */
  slot(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Resolves once no batch is in flight. */
  empty(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  /** A batch of `messages` enters: its ticket holds its turn and the turn of the batch before it. */
  enter(messages: number): Ticket {
    this.size += 1;
    this.messages += messages;
    const ticket: Ticket = {
      messages,
      turn: new Turn(),
      elder: this.youngest,
      published: new Turn(),
      elderPublished: this.youngestPublished,
    };
    this.youngest = ticket.turn;
    this.youngestPublished = ticket.published;
    return ticket;
  }

  /** The batch holding `ticket` ended. Its turn ends once its elder's did too, so order holds down the line. */
  leave(ticket: Ticket): void {
    this.size -= 1;
    this.messages -= ticket.messages;
    endAfter(ticket.published, ticket.elderPublished);
    endAfter(ticket.turn, ticket.elder);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    if (this.size === 0) {
      const drained = this.drained;
      this.drained = undefined;
      drained?.();
    }
  }
}
