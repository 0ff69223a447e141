/**
 * How a node keeps to its share of a cluster-wide rate limit: a token bucket, filled at `perSecond` up to `burst`,
 * from which each batch takes one token per message before it runs. A batch that finds too few waits on one timer set
 * for when the tokens will be there: no polling. Batches wait in the order they came (FIFO), and a batch larger than
 * what is in the bucket may leave it in debt, so the long-run rate is `perSecond` exactly, whatever the batch sizes.
 *
 * The wait happens after the batch was pulled: its messages are held unacknowledged meanwhile, bounded by the node's
 * `maxUnacked` (prefetch), so at most about maxUnacked / perSecond seconds; docs/scaling.md says how that sits with
 * RabbitMQ's consumer_timeout. A new rate (the master re-splits the limit) applies at once, to waiting batches too.
 */
import type { BatchInfo, BatchInterceptor, BatchOutcome } from './interceptors.js';

/** The bucket size a limit gets when it names none: a tenth of a second of its rate, and at least one message. */
export function defaultBurst(perSecond: number): number {
  return Math.max(1, perSecond / 10);
}

interface Waiter {
  readonly count: number;
  readonly resolve: () => void;
}

export class TokenBucket {
  /** Tokens per ms; undefined: no limit. */
  #rate: number | undefined;
  #burst = 1;
  #tokens = 0;
  /** When `#tokens` was last brought up to date (ms, the clock below). */
  #at: number;
  readonly #waiting: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #now: () => number;

  /** Starts full. `now` is for tests (a fake clock). */
  constructor(perSecond?: number, burst?: number, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#at = now();
    this.set(perSecond, burst);
    this.#tokens = this.#burst;
  }

  /** The rate now (messages a second), or undefined for none. */
  get perSecond(): number | undefined {
    return this.#rate === undefined ? undefined : this.#rate * 1000;
  }

  /** Changes the rate (undefined: no limit, and every waiting batch goes); what has been earned so far is kept. */
  set(perSecond: number | undefined, burst?: number): void {
    this.#refill();
    if (perSecond === undefined || perSecond <= 0 || !Number.isFinite(perSecond)) {
      this.#rate = undefined;
    } else {
      this.#rate = perSecond / 1000;
      this.#burst = burst !== undefined && burst > 0 ? burst : defaultBurst(perSecond);
      this.#tokens = Math.min(this.#tokens, this.#burst);
    }
    this.#schedule();
  }

  /**
   * Takes `count` tokens: undefined when the batch may run at once (nothing allocated), else a promise that resolves
   * when it may.
   */
  take(count: number): Promise<void> | undefined {
    if (this.#rate === undefined) return undefined;
    if (this.#waiting.length === 0) {
      this.#refill();
      if (this.#tokens >= Math.min(count, this.#burst)) {
        this.#tokens -= count;
        return undefined;
      }
    }
    return new Promise<void>((resolve) => {
      this.#waiting.push({ count, resolve });
      if (this.#waiting.length === 1) this.#schedule();
    });
  }

  /** Lets every waiting batch go and stops the timer (the node is stopping). */
  release(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiting.splice(0)) waiter.resolve();
  }

  #refill(): void {
    const now = this.#now();
    if (this.#rate !== undefined) {
      // While a batch waits, what a late timer earned is kept for it (up to its size above the burst): otherwise every
      // late wake-up would lose tokens, and the rate would fall short by the timers' lateness.
      const cap = this.#burst + (this.#waiting[0]?.count ?? 0);
      this.#tokens = Math.min(cap, this.#tokens + (now - this.#at) * this.#rate);
    }
    this.#at = now;
  }

  /** Lets go the waiters that can go now, and sets one timer for the next. */
  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#rate === undefined) {
      this.release();
      return;
    }
    this.#refill();
    let head = this.#waiting[0];
    while (head && this.#tokens >= Math.min(head.count, this.#burst)) {
      this.#tokens -= head.count;
      this.#waiting.shift();
      head.resolve();
      head = this.#waiting[0];
    }
    if (!head) return;
    const needed = Math.min(head.count, this.#burst) - this.#tokens;
    this.#timer = setTimeout(() => this.#schedule(), Math.max(1, Math.ceil(needed / this.#rate)));
  }
}

/**
 * Runs each batch of a node only once its bucket has tokens for every message in it. One interceptor serves every node
 * of a worker: buckets are kept by node name; a node without one is not limited.
 */
export class RateLimitInterceptor implements BatchInterceptor {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #now: (() => number) | undefined;

  /** `now` is for tests (a fake clock). */
  constructor(now?: () => number) {
    this.#now = now;
  }

  /** Sets a node's share (undefined: no limit); a node's first bucket starts full. */
  set(nodeName: string, perSecond: number | undefined, burst?: number): void {
    const bucket = this.#buckets.get(nodeName);
    if (bucket) bucket.set(perSecond, burst);
    else if (perSecond !== undefined)
      this.#buckets.set(nodeName, new TokenBucket(perSecond, burst, this.#now));
  }

  /** A node's share now (messages a second), or undefined. */
  perSecond(nodeName: string): number | undefined {
    return this.#buckets.get(nodeName)?.perSecond;
  }

  /** Forgets every share, letting waiting batches go (the master that set them is gone). */
  clear(): void {
    for (const bucket of this.#buckets.values()) bucket.release();
    this.#buckets.clear();
  }

  /** Forgets a node that is gone, letting its waiting batches go (they are being abandoned or drained). */
  forget(nodeName: string): void {
    this.#buckets.get(nodeName)?.release();
    this.#buckets.delete(nodeName);
  }

  interceptBatch(info: BatchInfo, next: () => Promise<BatchOutcome>): Promise<BatchOutcome> {
    const wait = this.#buckets.get(info.node.name)?.take(info.size);
    return wait ? wait.then(next) : next();
  }
}
