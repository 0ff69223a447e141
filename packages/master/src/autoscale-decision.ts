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
 */
import type { CompiledAutoscalePolicy } from '@monomyth/mmop';

/** What one decision sees. */
export interface AutoscaleFigures {
  /** Ready + unacknowledged messages on the type's source queue; undefined when no worker reported it. */
  readonly backlog: number | undefined;
  /** The type's desired count now. */
  readonly desired: number;
  /** The time, in ms (any clock, the same every call). */
  readonly now: number;
}

/** A change of desired count, and why. */
export interface AutoscaleStep {
  readonly to: number;
  readonly wanted: number;
  readonly reason: string;
}

export class AutoscaleDecider {
  readonly policy: CompiledAutoscalePolicy;
  /** Since when the backlog has been above target without a break, or undefined. */
  #aboveSince: number | undefined;
  /** Since when it has been below target without a break (or since the last step down), or undefined. */
  #belowSince: number | undefined;

  constructor(policy: CompiledAutoscalePolicy) {
    this.policy = policy;
  }

  /** The count the backlog asks for, within the policy's bounds. */
  wanted(backlog: number): number {
    const { min, max, targetBacklogPerNode } = this.policy;
    return Math.min(max, Math.max(min, Math.ceil(backlog / targetBacklogPerNode)));
  }

  /** A step to take now, or undefined to keep the desired count as it is. */
  decide({ backlog, desired, now }: AutoscaleFigures): AutoscaleStep | undefined {
    const { min, max, scaleUpAfterMs, scaleDownAfterMs } = this.policy;
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
      // The next step down waits a full period again, whatever the backlog does meanwhile.
      this.#belowSince = now;
      return {
        to: desired - 1,
        wanted,
        reason: `backlog below target for ${scaleDownAfterMs} ms`,
      };
    }
    this.#reset();
    return undefined;
  }

  #reset(): void {
    this.#aboveSince = undefined;
    this.#belowSince = undefined;
  }
}
