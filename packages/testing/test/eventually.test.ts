import { describe, expect, it, vi } from 'vitest';
import { eventually } from '../src/index.js';

describe('eventually', () => {
  it('eventually - reads again until the condition holds, and returns the value that met it', async () => {
    let reads = 0;
    const value = await eventually(
      () => {
        reads += 1;
        if (reads === 2) throw new Error('still starting');
        return reads;
      },
      (n) => n >= 4,
      { intervalMs: 1 },
    );
    expect(value).toBe(4);
    expect(reads).toBe(4);
  });

  it('eventually - at the timeout, rejects with the last value read', async () => {
    const started = performance.now();
    const error = await eventually(
      () => ({ state: 'starting' }),
      () => false,
      {
        timeoutMs: 100,
        intervalMs: 10,
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      'condition not reached; last value: {"state":"starting"}',
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('eventually - at the timeout, rejects with what read threw last', async () => {
    const refused = new Error('ECONNREFUSED');
    await expect(
      eventually(
        () => {
          throw refused;
        },
        () => true,
        { timeoutMs: 50, intervalMs: 5 },
      ),
    ).rejects.toBe(refused);
  });

  it('eventually - a read that never settles still times out', async () => {
    const error = await eventually(
      () => new Promise<number>(() => {}),
      () => true,
      { timeoutMs: 50 },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'condition not reached within 50 ms: read never returned',
    );
  });

  it('eventually - keeps real time while a test fakes the timers', { timeout: 3_000 }, async () => {
    // vi.waitFor did too: a version on the global setTimeout would wait forever for its first interval here.
    vi.useFakeTimers();
    try {
      let reads = 0;
      const value = await eventually(
        () => (reads += 1),
        (n) => n >= 3,
        { intervalMs: 5, timeoutMs: 1_000 },
      );
      expect(value).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
