/**
 * The autoscaler's rule for one node type, and nothing but the rule: no clock of its own, no cluster, no I/O, so every
 * case (up, down, flapping, bounds) is a unit test with a fake clock. autoscaler.ts feeds it figures and applies what
 * it answers.
 *
 *   wanted = clamp(min, max, ceil(backlog / targetBacklogPerNode))
 *
 * - wanted above the desired count (the backlog is above target) without a break for `scaleUpAfterMs`: desired goes to
 *   wanted at once, however far that is (a burst needs every node now);
 * - wanted below it without a break for `scaleDownAfterMs`: desired goes down by one, and the wait starts again, so
 *   the type shrinks one drained node at a time and a backlog that comes back finds nodes still running;
 * - any tick where the backlog is back on the other side (or unknown) restarts the wait, so a backlog that hovers around
 *   the target does not flap;
 * - a desired count outside [min, max] (a policy just set, an operator's start or stop) is brought inside at once.
 *
 * The backlog alone cannot tell a type that has nothing to do from one whose nodes keep up with a steady stream: in
 * both it is near 0. Scaling the second down starves it, the backlog grows, it scales up again: a slow cycle. So a
 * step down also needs the processing rate (processing-rate.ts measures it) to say the nodes left keep up:
 *
 *   arriving = (processed + backlog growth) / time, over the last RATE_WINDOW_MS
 *   perNode  = processed / time / running, over the latest stretch the type was busy (backlog above target throughout)
 *   step down from desired only if (desired - 1) * perNode >= arriving * (1 + RATE_HEADROOM)
 *
 * The rate a node reaches while it keeps up is what it is given, not what it can do, so only a busy stretch measures
 * it. Until one has (the type was never behind), or with no rate reported, steps down follow the backlog alone: if
 * that takes too many nodes away, the backlog grows, the type scales up, and that busy stretch measures the rate.
 */
import type { CompiledAutoscalePolicy } from '@monomyth/mmop';

/** How far back the arrival rate is measured. */
export const RATE_WINDOW_MS = 10_000;
/** The shortest stretch a rate is measured over: shorter ones are mostly the noise of heartbeat timing. */
export const MIN_RATE_SPAN_MS = 2_000;
/** How far back rates are measured, and the shortest stretch one is measured over. */
export interface RateSpans {
  readonly windowMs: number;
  readonly minSpanMs: number;
}

const DEFAULT_RATE_SPANS: RateSpans = { windowMs: RATE_WINDOW_MS, minSpanMs: MIN_RATE_SPAN_MS };

/**
 * The spans for counters that arrive every `countersIntervalMs` (the master's option): a processed count that moves in
 * steps of an interval is measured over at least two of them, and in a window of at least four, so that a step more or
 * less in the span changes the rate by a quarter at most.
 */
export function rateSpansFor(countersIntervalMs: number): RateSpans {
  return {
    windowMs: Math.max(RATE_WINDOW_MS, 4 * countersIntervalMs),
    minSpanMs: Math.max(MIN_RATE_SPAN_MS, 2 * countersIntervalMs),
  };
}

/** The spare capacity the nodes left after a step down must keep over the arrival rate (0.1: 10 %). */
export const RATE_HEADROOM = 0.1;

/** What one decision sees. */
export interface AutoscaleFigures {
  /** Ready + unacknowledged messages on the type's source queue; undefined when no worker reported it. */
  readonly backlog: number | undefined;
  /** The type's desired count now. */
  readonly desired: number;
  /** The time, in ms (any clock, the same every call). */
  readonly now: number;
  /**
   * Messages the type's nodes have processed, in all: a count that only grows (processing-rate.ts keeps it across
   * node restarts and drains). Undefined when not known: steps down then follow the backlog alone.
   */
  readonly processed?: number | undefined;
  /** Nodes of the type running (reporting their counters) now. */
  readonly running?: number | undefined;
}

/** The rates a step down was weighed against, in messages a second. */
export interface AutoscaleRates {
  /** Processed plus backlog growth, over the last RATE_WINDOW_MS; undefined before MIN_RATE_SPAN_MS of figures. */
  readonly arriving: number | undefined;
  /** What one node processed while the type was busy, last measured; undefined until it has been. */
  readonly perNode: number | undefined;
}

interface Sample {
  readonly at: number;
  readonly processed: number;
  readonly backlog: number;
  readonly running: number;
}

/** A change of desired count, and why. */
export interface AutoscaleStep {
  readonly to: number;
  readonly wanted: number;
  readonly reason: string;
  /** For a step down: the rates it was weighed against. */
  readonly rates?: AutoscaleRates;
}

export class AutoscaleDecider {
  readonly policy: CompiledAutoscalePolicy;
  /** Since when the backlog has been above target without a break, or undefined. */
  #aboveSince: number | undefined;
  /** Since when it has been below target without a break (or since the last step down), or undefined. */
  #belowSince: number | undefined;
  /** The figures of the last RATE_WINDOW_MS, oldest first. */
  readonly #samples: Sample[] = [];
  /** The first sample of the current busy stretch (backlog above target, the same nodes running), or undefined. */
  #busyFrom: Sample | undefined;
  #perNode: number | undefined;
  /**
   * Why the last decision kept a step down back (the nodes left would not keep up), with the figures; undefined when
   * it did not. The autoscaler logs it when it starts.
   */
  held: string | undefined;

  readonly #spans: RateSpans;

  constructor(policy: CompiledAutoscalePolicy, spans: RateSpans = DEFAULT_RATE_SPANS) {
    this.policy = policy;
    this.#spans = spans;
  }

  /** The count the backlog asks for, within the policy's bounds. */
  wanted(backlog: number): number {
    const { min, max, targetBacklogPerNode } = this.policy;
    return Math.min(max, Math.max(min, Math.ceil(backlog / targetBacklogPerNode)));
  }

  /** A step to take now, or undefined to keep the desired count as it is. */
  decide({
    backlog,
    desired,
    now,
    processed,
    running,
  }: AutoscaleFigures): AutoscaleStep | undefined {
    const { min, max, scaleUpAfterMs, scaleDownAfterMs } = this.policy;
    this.held = undefined;
    if (backlog !== undefined && processed !== undefined && running !== undefined)
      this.#sample({ at: now, processed, backlog, running });
    if (desired < min || desired > max) {
      this.#reset();
      const to = desired < min ? min : max;
      return { to, wanted: to, reason: `outside the policy's bounds (${min} to ${max})` };
    }
    if (backlog === undefined) {
      // Nothing measured (no node of the type runs, or its workers cannot report queues): nothing to go on.
      this.#reset();
      return undefined;
    }
    const wanted = this.wanted(backlog);
    if (wanted > desired) {
      this.#belowSince = undefined;
      this.#aboveSince ??= now;
      if (now - this.#aboveSince < scaleUpAfterMs) return undefined;
      this.#aboveSince = undefined;
      return {
        to: wanted,
        wanted,
        reason: `backlog above target for ${scaleUpAfterMs} ms`,
      };
    }
    if (wanted < desired) {
      this.#aboveSince = undefined;
      this.#belowSince ??= now;
      if (now - this.#belowSince < scaleDownAfterMs) return undefined;
      const rates = this.rates();
      const { arriving, perNode } = rates;
      const wait = `backlog below target for ${scaleDownAfterMs} ms`;
      if (arriving !== undefined && perNode !== undefined) {
        const left = (desired - 1) * perNode;
        const figures = `${nodes(desired - 1)} at ${perSecond(perNode)} each: ${perSecond(left)}, ${perSecond(arriving)} arriving`;
        if (left < arriving * (1 + RATE_HEADROOM)) {
          // Held, not restarted: the step is taken at the first tick the stream has thinned enough.
          this.held = `${wait}, but ${figures} (${RATE_HEADROOM * 100} % spare wanted)`;
          return undefined;
        }
        this.#belowSince = now;
        return { to: desired - 1, wanted, reason: `${wait}; ${figures}`, rates };
      }
      // The next step down waits a full period again, whatever the backlog does meanwhile.
      this.#belowSince = now;
      return {
        to: desired - 1,
        wanted,
        reason: `${wait}; ${perNode === undefined ? 'no busy stretch has measured a node yet' : 'no arrival rate yet'}`,
        rates,
      };
    }
    this.#reset();
    return undefined;
  }

  /** The arrival rate and a node's rate, as the figures so far measure them. */
  rates(): AutoscaleRates {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    let arriving: number | undefined;
    if (first && last && last.at - first.at >= this.#spans.minSpanMs) {
      const arrived = last.processed - first.processed + last.backlog - first.backlog;
      arriving = Math.max(0, (arrived * 1000) / (last.at - first.at));
    }
    return { arriving, perNode: this.#perNode };
  }

  #sample(sample: Sample): void {
    const samples = this.#samples;
    const last = samples.at(-1);
    // A clock that went back, or a count that did (a new master's): the old figures say nothing of the new.
    if (last && (sample.at <= last.at || sample.processed < last.processed)) {
      samples.length = 0;
      this.#busyFrom = undefined;
    }
    samples.push(sample);
    while (samples.length > 2 && sample.at - (samples[1]?.at ?? sample.at) >= this.#spans.windowMs)
      samples.shift();
    const busy =
      sample.running > 0 && sample.backlog > sample.running * this.policy.targetBacklogPerNode;
    const from = this.#busyFrom;
    if (!busy) this.#busyFrom = undefined;
    else if (from?.running !== sample.running) this.#busyFrom = sample;
    else if (sample.at - from.at >= this.#spans.minSpanMs) {
      this.#perNode =
        ((sample.processed - from.processed) * 1000) / (sample.at - from.at) / sample.running;
    }
  }

  #reset(): void {
    this.#aboveSince = undefined;
    this.#belowSince = undefined;
  }
}

function perSecond(rate: number): string {
  return `${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s`;
}

function nodes(count: number): string {
  return count === 1 ? '1 node' : `${count} nodes`;
}
