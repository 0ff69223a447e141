/**
 * The batch duration histogram, counted in plain arrays and handed to prom-client only on a scrape.
 *
 * prom-client's own Histogram validates and hashes the labels on every `observe` (about 0.6 us and an allocation per
 * batch, measured): per batch, on every node, that is the hot path's cost for a figure read every 15 s. Here recording
 * is a short scan of 15 bounds and three additions into a per-type array; the registry asks `get()` for the series
 * when scraped, in the shape prom-client's registry formats (what its Histogram's `get()` returns).
 */
/**
 * What a metric's `get()` gives prom-client's registry, as its Histogram returns it at run time (its typings declare
 * `type` as a numeric enum and a `collect`, which the registry does not read).
 */
export interface HistogramData {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly HistogramValue[];
}

export interface HistogramValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** The counts of one node type: one per bucket (not cumulative), then the sum of seconds, then the count. */
export type DurationCounts = Float64Array;

export class BatchDurationCollector {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, DurationCounts>();

  constructor(
    readonly name: string,
    readonly help: string,
    bounds: readonly number[],
  ) {
    this.#bounds = [...bounds].sort((a, b) => a - b);
  }

  /** The counts for a type, made once; `record` adds to them. */
  countsOf(type: string): DurationCounts {
    let counts = this.#series.get(type);
    if (counts === undefined) {
      counts = new Float64Array(this.#bounds.length + 2);
      this.#series.set(type, counts);
    }
    return counts;
  }

  /** Adds one batch that took `seconds`. No allocation. */
  record(counts: DurationCounts, seconds: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    // Past the last bound: only +Inf (the count) holds it.
    if (i < bounds.length) counts[i] = (counts[i] as number) + 1;
    const sum = bounds.length;
    counts[sum] = (counts[sum] as number) + seconds;
    counts[sum + 1] = (counts[sum + 1] as number) + 1;
  }

  /** What prom-client's registry reads on a scrape: cumulative buckets, +Inf, sum and count per type. */
  get(): Promise<HistogramData> {
    const values: HistogramValue[] = [];
    const bounds = this.#bounds;
    for (const [type, counts] of this.#series) {
      let cumulative = 0;
      bounds.forEach((le, i) => {
        cumulative += counts[i] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, type }, value: cumulative });
      });
      const count = counts[bounds.length + 1] as number;
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', type }, value: count },
        {
          metricName: `${this.name}_sum`,
          labels: { type },
          value: counts[bounds.length] as number,
        },
        { metricName: `${this.name}_count`, labels: { type }, value: count },
      );
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  /** `registry.resetMetrics()`: back to zero, keeping the types. */
  reset(): void {
    for (const counts of this.#series.values()) counts.fill(0);
  }
}
