import { describe, expect, it } from 'vitest';
import { NonRetryableError } from './errors.js';
import { backoffDelayMs, shouldRetry } from './failure-policy.js';

const retry = {
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 1000,
  multiplier: 2,
  jitter: 0,
  maxRedeliveries: 10,
};

describe('failure policy', () => {
  it('backoff - grows by the multiplier from the initial delay and stops at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelayMs(attempt, retry, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('backoff - jitter spreads each delay within +-jitter, and never past maxDelayMs', () => {
    const jittery = { ...retry, jitter: 0.25 };
    expect(backoffDelayMs(2, jittery, () => 0)).toBe(150);
    expect(backoffDelayMs(2, jittery, () => 0.999999)).toBe(250);
    expect(backoffDelayMs(6, jittery, () => 0.999999)).toBe(1000);
    expect(backoffDelayMs(6, jittery, () => 0)).toBe(750);
  });

  it('retry - while attempts remain and the error allows it', () => {
    const failure = { step: 'transform' as const, error: new Error('x') };
    expect(shouldRetry(failure, 4, retry)).toBe(true);
    expect(shouldRetry(failure, 5, retry)).toBe(false);
    expect(shouldRetry({ step: 'transform', error: new NonRetryableError('no') }, 1, retry)).toBe(
      false,
    );
  });
});
