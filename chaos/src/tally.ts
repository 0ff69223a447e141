/**
 * The result counter: every input confirmed by the broker, every output read, and what they add up to. An output is
 * matched to an input by the example's expected transform (computed without the system), as multisets: the first
 * output for an input is its arrival, a further one a duplicate, one that matches no input is wrong.
 *
 * An input is registered when it is published and counts once confirmed: the broker may deliver a message (and the
 * system move it to the end) before it confirms it (classic queues confirm persistent messages after their fsync), so
 * an output can arrive before its input's confirm. Inputs the broker refused count neither as inputs nor as missing.
 *
 * Recovery is read from the latencies (publish to arrival): how long after a fault outputs still came late.
 */
import { expectedOutput } from '@monomyth/example-four-stage/dist/inputs.js';

/** Below this, an output is never late: a busy two-core machine has hiccups of a few hundred ms without any fault. */
const MIN_LATE_MS = 1_000;
const WRONG_SAMPLES = 5;

/** One published input; the publisher marks it confirmed. */
export interface Input {
  readonly input: string;
  readonly publishedAt: number;
  confirmed: boolean;
  arrivedAt: number | undefined;
}

export interface TallyCounts {
  /** Inputs the broker confirmed. */
  readonly inputs: number;
  /** Outputs read, duplicates and wrong ones included. */
  readonly outputs: number;
  /** Confirmed inputs whose output has not arrived. */
  readonly missing: number;
  /** Outputs that are not the expected output of any input. */
  readonly wrong: number;
  /** Outputs beyond the first for an input. */
  readonly duplicates: number;
}

export class Tally {
  /** Inputs not yet matched, by their expected output; several inputs may share one (letters are stripped). */
  readonly #waiting = new Map<string, Input[]>();
  /** Every expected output seen at least once, so a later copy counts as a duplicate, not as wrong. */
  readonly #known = new Set<string>();
  readonly #inputs: Input[] = [];
  /** Arrival times of every output, in order: the output gaps after a fault are read from them. */
  readonly #arrivals: number[] = [];
  #confirmed = 0;
  #missing = 0;
  #wrong = 0;
  /** The first few wrong outputs, to tell what went wrong. */
  readonly wrongSamples: string[] = [];
  #duplicates = 0;

  /** An input sent to the broker at `at`; the publisher passes the entry to `confirmed()` when the broker confirms it. */
  published(input: string, at = Date.now()): Input {
    const output = expectedOutput(input);
    const entry: Input = { input, publishedAt: at, confirmed: false, arrivedAt: undefined };
    this.#inputs.push(entry);
    const waiting = this.#waiting.get(output);
    if (waiting) waiting.push(entry);
    else this.#waiting.set(output, [entry]);
    this.#known.add(output);
    return entry;
  }

  confirmed(entry: Input): void {
    if (entry.confirmed) return;
    entry.confirmed = true;
    this.#confirmed += 1;
    if (entry.arrivedAt === undefined) this.#missing += 1;
  }

  /** An output read at `at`; says what it was. */
  received(output: string, at = Date.now()): 'arrived' | 'duplicate' | 'wrong' {
    this.#arrivals.push(at);
    const waiting = this.#waiting.get(output);
    const entry = waiting?.shift();
    if (entry) {
      entry.arrivedAt = at;
      if (waiting?.length === 0) this.#waiting.delete(output);
      if (entry.confirmed) this.#missing -= 1;
      return 'arrived';
    }
    if (this.#known.has(output)) {
      this.#duplicates += 1;
      return 'duplicate';
    }
    this.#wrong += 1;
    if (this.wrongSamples.length < WRONG_SAMPLES) this.wrongSamples.push(output.slice(0, 200));
    return 'wrong';
  }

  counts(): TallyCounts {
    return {
      inputs: this.#confirmed,
      outputs: this.#arrivals.length,
      missing: this.#missing,
      wrong: this.#wrong,
      duplicates: this.#duplicates,
    };
  }

  /**
   * How long the faults disturbed the flow: for each fault, from the fault to the last late output that arrived
   * before the next fault (or at all, for the last); the worst of them. An output is late when its input took longer
   * than `max(1 s, 3 x the 99th percentile before the first fault)` from publish to arrival, so an input held up after
   * the fault counts as much as one that was in flight at it. Undefined while an input is missing.
   */
  recoveryMs(faults: readonly number[]): number | undefined {
    if (this.#missing > 0) return undefined;
    const first = faults[0];
    if (first === undefined) return 0;
    const arrived = this.#inputs.filter((input) => input.arrivedAt !== undefined);
    const before = arrived
      .filter((input) => (input.arrivedAt as number) < first)
      .map((input) => (input.arrivedAt as number) - input.publishedAt)
      .sort((a, b) => a - b);
    const p99 = before[Math.floor(before.length * 0.99)] ?? 0;
    const lateMs = Math.max(MIN_LATE_MS, 3 * p99);
    let worst = 0;
    for (const input of arrived) {
      const arrivedAt = input.arrivedAt as number;
      if (arrivedAt < first || arrivedAt - input.publishedAt <= lateMs) continue;
      const fault = faults.findLast((at) => at <= arrivedAt) ?? first;
      worst = Math.max(worst, arrivedAt - fault);
    }
    return worst;
  }

  /** The first few inputs still missing, to tell what went wrong. */
  missingSamples(): string[] {
    const samples: string[] = [];
    for (const input of this.#inputs) {
      if (samples.length >= WRONG_SAMPLES) break;
      if (input.confirmed && input.arrivedAt === undefined) samples.push(input.input);
    }
    return samples;
  }

  /** The longest any input took from publish to output (of those that arrived). */
  slowestMs(): number {
    let slowest = 0;
    for (const input of this.#inputs)
      if (input.arrivedAt !== undefined)
        slowest = Math.max(slowest, input.arrivedAt - input.publishedAt);
    return slowest;
  }

  /** The longest time without any output between `from` and `to` (the first output after `from` included). */
  longestGapMs(from: number, to: number): number {
    let previous = from;
    let longest = 0;
    for (const at of this.#arrivals) {
      if (at < from) continue;
      if (at > to) break;
      longest = Math.max(longest, at - previous);
      previous = at;
    }
    return Math.max(longest, to - previous);
  }
}
