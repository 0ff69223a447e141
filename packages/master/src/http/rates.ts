/**
 * Per-type rates for the dashboard: the master's totals sampled about once a second, and the rate over the last few
 * samples (a window of ~5 s: steady enough to read, recent enough to see a stage stop).
 */
import type { TypeTotals } from './master-stats.js';

interface Sample {
  readonly at: number;
  readonly processed: number;
  readonly failed: number;
}

export interface TypeRates {
  /** Messages processed per second. */
  readonly processed: number;
  /** Messages sent to the fail queue per second. */
  readonly failed: number;
}

export class RateWindow {
  readonly #samples = new Map<string, Sample[]>();
  readonly #size: number;

  /** `size`: how many samples the window holds (the rate spans size - 1 intervals). */
  constructor(size = 6) {
    this.#size = size;
  }

  /** Takes one sample of every type's totals. */
  sample(totals: ReadonlyMap<string, Readonly<TypeTotals>>, at: number): void {
    for (const [type, { processed, failed }] of totals) {
      let samples = this.#samples.get(type);
      if (samples === undefined) {
        samples = [];
        this.#samples.set(type, samples);
      }
      samples.push({ at, processed, failed });
      if (samples.length > this.#size) samples.shift();
    }
  }

  /** The rates of a type over the window; 0 before two samples. */
  ratesOf(type: string): TypeRates {
    const samples = this.#samples.get(type);
    const first = samples?.[0];
    const last = samples?.at(-1);
    if (first === undefined || last === undefined || last.at <= first.at)
      return { processed: 0, failed: 0 };
    const seconds = (last.at - first.at) / 1000;
    return {
      processed: (last.processed - first.processed) / seconds,
      failed: (last.failed - first.failed) / seconds,
    };
  }
}
