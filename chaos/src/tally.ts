/**
 * The result counter: every input confirmed by the broker, every output read, and what they add up to. An output is
 * matched to an input by the example's expected transform (computed without the system), as multisets: the first
 * output for an input is its arrival, a further one a duplicate, one that matches no input is wrong.
 *
 * Recovery is measured per fault: from the fault to the arrival of the last output of the inputs confirmed before it
 * (their outputs were due; new inputs after the fault do not move the figure). It is undefined while one is still out.
 */
import { expectedOutput } from '@monomyth/example-four-stage/dist/inputs.js';

interface Input {
  readonly confirmedAt: number;
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
  #missing = 0;
  #wrong = 0;
  #duplicates = 0;

  /** An input the broker confirmed at `at`. */
  confirmed(input: string, at = Date.now()): void {
    const output = expectedOutput(input);
    const entry: Input = { confirmedAt: at, arrivedAt: undefined };
    this.#inputs.push(entry);
    const waiting = this.#waiting.get(output);
    if (waiting) waiting.push(entry);
    else this.#waiting.set(output, [entry]);
    this.#known.add(output);
    this.#missing += 1;
  }

  /** An output read at `at`; says what it was. */
  received(output: string, at = Date.now()): 'arrived' | 'duplicate' | 'wrong' {
    this.#arrivals.push(at);
    const waiting = this.#waiting.get(output);
    const entry = waiting?.shift();
    if (entry) {
      entry.arrivedAt = at;
      if (waiting?.length === 0) this.#waiting.delete(output);
      this.#missing -= 1;
      return 'arrived';
    }
    if (this.#known.has(output)) {
      this.#duplicates += 1;
      return 'duplicate';
    }
    this.#wrong += 1;
    return 'wrong';
  }

  counts(): TallyCounts {
    return {
      inputs: this.#inputs.length,
      outputs: this.#arrivals.length,
      missing: this.#missing,
      wrong: this.#wrong,
      duplicates: this.#duplicates,
    };
  }

  /** From `faultAt` to the arrival of the last output of the inputs confirmed before it; undefined while one is out. */
  recoveryMs(faultAt: number): number | undefined {
    let last = faultAt;
    for (const input of this.#inputs) {
      if (input.confirmedAt > faultAt) continue;
      if (input.arrivedAt === undefined) return undefined;
      if (input.arrivedAt > last) last = input.arrivedAt;
    }
    return last - faultAt;
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
