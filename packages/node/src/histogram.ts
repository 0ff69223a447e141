/**
 * A latency histogram with fixed logarithmic buckets: recording is a logarithm and an increment, memory is constant,
 * and a percentile is read to within one bucket (about 9 %). Samples are never stored.
 *
 * Bucket i counts values up to MIN_MS * GROWTH^i; the last bucket takes everything larger.
 */

/** The smallest bound: one microsecond. */
const MIN_MS = 0.001;
/** Eight buckets per doubling: 2^(1/8), about 1.09. */
const GROWTH = 2 ** (1 / 8);
const LOG_GROWTH = Math.log(GROWTH);
/** 1 us * 2^32: about 71 minutes, past any batch worth timing. */
const BUCKETS = 8 * 32 + 1;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private maxMs = 0;
  private sumMs = 0;

  /** Adds one sample, in milliseconds. Negative and NaN samples count as 0. */
  record(ms: number): void {
    const value = ms > 0 ? ms : 0;
    const index =
      value <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(value / MIN_MS) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total += 1;
    this.sumMs += value;
    if (value > this.maxMs) this.maxMs = value;
  }

  get count(): number {
    return this.total;
  }

  get meanMs(): number {
    return this.total === 0 ? 0 : this.sumMs / this.total;
  }

  get maxMsRecorded(): number {
    return this.maxMs;
  }

  /**
   * The value below which `p` (0 to 1) of the samples fall: the upper bound of the bucket holding that rank, never
   * above the largest sample. 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(Math.min(Math.max(p, 0), 1) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(MIN_MS * GROWTH ** i, this.maxMs);
    }
    return this.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMs = 0;
    this.sumMs = 0;
  }
}
