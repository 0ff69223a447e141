import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './histogram.js';

describe('latency histogram', () => {
  it('histogram - percentiles land within one bucket (about 9 %) of the true value', () => {
    const histogram = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) histogram.record(i / 10); // 0.1 ms .. 100 ms, uniform
    expect(histogram.count).toBe(1000);
    const p50 = histogram.percentile(0.5);
    const p99 = histogram.percentile(0.99);
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(p50).toBeLessThanOrEqual(50 * 1.1);
    expect(p99).toBeGreaterThanOrEqual(99);
    expect(p99).toBeLessThanOrEqual(100);
    expect(histogram.meanMs).toBeCloseTo(50.05, 5);
  });

  it('histogram - never reports above the largest sample, and is empty after reset', () => {
    const histogram = new LatencyHistogram();
    histogram.record(3);
    expect(histogram.percentile(1)).toBe(3);
    histogram.record(-1);
    histogram.record(Number.NaN);
    expect(histogram.percentile(0)).toBeLessThanOrEqual(0.001);
    histogram.record(1e12);
    expect(histogram.maxMsRecorded).toBe(1e12);
    histogram.reset();
    expect([histogram.count, histogram.percentile(0.5), histogram.maxMsRecorded]).toEqual([
      0, 0, 0,
    ]);
  });
});
