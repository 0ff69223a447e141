/**
 * The waiting half of `StreamConsumer.nextBatch`, for adapters (the in-memory one, RabbitMQ's, users' own): it checks
 * the options, takes what is there at once, and otherwise waits, never polling, until the batch is full, its timeout
 * has run from its first delivery, or its signal aborts. The adapter supplies `fill` (move deliveries it can hand out
 * into the batch, up to `max`) and calls `offer()` whenever deliveries arrive or room opens under its bound.
 */
import { ConsumerBusyError } from './errors.js';
import type { Delivery, NextBatchOptions } from './stream-adapter.js';

interface Waiting<D> {
  readonly batch: D[];
  readonly max: number;
  readonly timeoutMs: number;
  readonly resolve: (batch: Delivery[]) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class BatchWaiter<D extends Delivery> {
  readonly #queue: string;
  readonly #fill: (batch: D[], max: number) => void;
  #waiting: Waiting<D> | undefined;

  constructor(queue: string, fill: (batch: D[], max: number) => void) {
    this.#queue = queue;
    this.#fill = fill;
  }

  /** Whether a `nextBatch` is waiting for deliveries. */
  get waiting(): boolean {
    return this.#waiting !== undefined;
  }

  /** `nextBatch`, once the consumer has checked its own state: one pull at a time, options checked, no polling. */
  pull(options: NextBatchOptions): Promise<Delivery[]> {
    if (this.#waiting !== undefined) return Promise.reject(new ConsumerBusyError(this.#queue));
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
    const batch: D[] = [];
    if (signal?.aborted) return Promise.resolve(batch);
    this.#fill(batch, max);
    if (batch.length === max) return Promise.resolve(batch);
    return new Promise<Delivery[]>((resolve, reject) => {
      const waiting: Waiting<D> = {
        batch,
        max,
        timeoutMs,
        resolve,
        reject,
        signal,
        onAbort: () => this.#finish(),
        timer: undefined,
      };
      this.#waiting = waiting;
      signal?.addEventListener('abort', waiting.onAbort, { once: true });
      if (batch.length > 0) this.#startTimer(waiting);
    });
  }

  /** Deliveries arrived, or room opened: fill the waiting batch; hand it over when full; time it from its first. */
  offer(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    const before = waiting.batch.length;
    this.#fill(waiting.batch, waiting.max);
    if (waiting.batch.length === waiting.max) this.#finish();
    else if (before === 0 && waiting.batch.length > 0) this.#startTimer(waiting);
  }

  /**
   * Empties the waiting batch and stops its timeout; the wait goes on. For deliveries that became void (their channel
   * died, and the backend will deliver them again).
   */
  restart(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    waiting.batch.length = 0;
    clearTimeout(waiting.timer);
    waiting.timer = undefined;
  }

  /**
   * Ends the wait without answering it, and returns the function that rejects the waiting caller, for the consumer to
   * call when it is ready (after giving its deliveries back, say); undefined when nothing waited.
   */
  detach(): ((error: unknown) => void) | undefined {
    const waiting = this.#waiting;
    if (waiting === undefined) return undefined;
    this.#clear(waiting);
    return waiting.reject;
  }

  #startTimer(waiting: Waiting<D>): void {
    waiting.timer = setTimeout(() => this.#finish(), waiting.timeoutMs);
  }

  #finish(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#clear(waiting);
    waiting.resolve(waiting.batch);
  }

  #clear(waiting: Waiting<D>): void {
    this.#waiting = undefined;
    clearTimeout(waiting.timer);
    waiting.signal?.removeEventListener('abort', waiting.onAbort);
  }
}
