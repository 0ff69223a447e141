import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchInfo, BatchOutcome } from './interceptors.js';
import { RateLimitInterceptor, TokenBucket, defaultBurst } from './token-bucket.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const now = (): number => Date.now();

/** Runs batches of `size` back to back for `ms` of fake time; returns the messages let through. */
async function drive(bucket: TokenBucket, size: number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let passed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const wait = bucket.take(size);
      if (wait) await wait;
      if (!running) break;
      passed += size;
      // A batch takes a little time of its own.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  await vi.advanceTimersByTimeAsync(end - Date.now());
  running = false;
  await vi.advanceTimersByTimeAsync(1000);
  await loop;
  return passed;
}

describe('token bucket', () => {
  it('rate - over 20 s, batches of any size get perSecond on average (within the burst)', async () => {
    for (const size of [1, 7, 10, 64]) {
      const bucket = new TokenBucket(200, 20, now);
      const passed = await drive(bucket, size, 20_000);
      // 4,000 in 20 s, plus the burst it starts with, give or take one batch.
      expect(Math.abs(passed - 4000 - 20)).toBeLessThanOrEqual(size);
    }
  });

  it('late timers - a wake-up later than planned loses no tokens: the rate holds by the clock', async () => {
    let skew = 0;
    const bucket = new TokenBucket(100, 5, () => Date.now() + skew);
    let passed = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        const wait = bucket.take(10);
        if (wait) {
          // The clock moves on 20 ms more than the timer: as if every wake-up came 20 ms late.
          skew += 20;
          await wait;
        }
        passed += 10;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await vi.advanceTimersByTimeAsync(10_000);
    running = false;
    await vi.advanceTimersByTimeAsync(1000);
    await loop;
    // 100/s over the 10 s of timers plus the skew the clock saw: losing the late tokens would give about 1,000.
    const seconds = (10_000 + skew) / 1000;
    expect(Math.abs(passed - 100 * seconds)).toBeLessThanOrEqual(30);
    expect(skew).toBeGreaterThan(1000);
  });

  it('wait - a batch that finds too few tokens waits for them on a timer, then runs', async () => {
    const bucket = new TokenBucket(100, 10, now);
    expect(bucket.take(10)).toBeUndefined();
    const wait = bucket.take(10);
    expect(wait).toBeInstanceOf(Promise);
    let done = false;
    void wait?.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(90);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(15);
    expect(done).toBe(true);
  });

  it('order - waiting batches go in the order they came', async () => {
    const bucket = new TokenBucket(10, 1, now);
    bucket.take(1);
    const order: number[] = [];
    const waits = [1, 2, 3].map((i) => bucket.take(1)?.then(() => order.push(i)));
    await vi.advanceTimersByTimeAsync(350);
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
  });

  it('set - a higher rate applies to batches already waiting; undefined lets them all go', async () => {
    const bucket = new TokenBucket(1, 1, now);
    bucket.take(1);
    let done = false;
    void bucket.take(1)?.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(false);
    // At 1/s it would wait ~900 ms more; at 100/s, ~10 ms.
    bucket.set(100, 1);
    await vi.advanceTimersByTimeAsync(20);
    expect(done).toBe(true);

    bucket.take(1);
    let freed = false;
    void bucket.take(50)?.then(() => (freed = true));
    bucket.set(undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(freed).toBe(true);
    expect(bucket.take(1_000_000)).toBeUndefined();
  });

  it('defaults - no rate means no limit; the default burst is a tenth of a second, at least 1', () => {
    expect(new TokenBucket(undefined, undefined, now).take(1e9)).toBeUndefined();
    expect(defaultBurst(200)).toBe(20);
    expect(defaultBurst(3)).toBe(1);
  });

  it('interceptor - limits only the nodes it has a bucket for, by node name; forget lets waiting batches go', async () => {
    const limits = new RateLimitInterceptor(now);
    const outcome: BatchOutcome = {
      processed: 5,
      failed: 0,
      retried: 0,
      requeued: 0,
      published: 5,
    };
    const info = (name: string): BatchInfo => ({
      node: { type: 'A', name, worker: 'w' },
      batchId: 1,
      size: 5,
      queue: 'q',
    });
    const next = vi.fn(() => Promise.resolve(outcome));
    await expect(limits.interceptBatch(info('A:free'), next)).resolves.toBe(outcome);
    limits.set('A:1', 5, 5);
    expect(limits.perSecond('A:1')).toBe(5);
    await limits.interceptBatch(info('A:1'), next);
    let done = false;
    void limits.interceptBatch(info('A:1'), next).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(500);
    expect(done).toBe(false);
    limits.forget('A:1');
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    expect(next).toHaveBeenCalledTimes(3);
    // clear() forgets every share: a new master sends its own.
    limits.set('A:2', 1, 1);
    await limits.interceptBatch(info('A:2'), next);
    limits.clear();
    expect(limits.perSecond('A:2')).toBeUndefined();
    await limits.interceptBatch(info('A:2'), next);
    expect(next).toHaveBeenCalledTimes(5);
  });
});
