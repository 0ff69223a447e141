/**
 * Whether the master's own event loop has been saturated since the last liveness tick. A master that cannot keep up
 * (too little CPU for its workers' heartbeats) leaves heartbeats waiting in its socket; declaring their senders lost
 * then makes them register again, which costs more, and the churn feeds itself. So while the loop is saturated, losses
 * wait, for at most one more liveness window: a worker that is really gone is still declared lost, one window later.
 */
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';

/** Event loop utilization (busy time over wall time, 0..1) past which the loop counts as saturated. */
export const SATURATED_UTILIZATION = 0.95;

export type UtilizationReader = (
  current?: EventLoopUtilization,
  previous?: EventLoopUtilization,
) => EventLoopUtilization;

export class LoopSaturation {
  readonly #read: UtilizationReader;
  #last: EventLoopUtilization;
  #since: number | undefined;

  constructor(read: UtilizationReader = (a, b) => performance.eventLoopUtilization(a, b)) {
    this.#read = read;
    this.#last = read();
  }

  /**
   * Call once per tick: whether losses should wait this tick (the loop was saturated since the last call, and has
   * not been for longer than `maxDeferMs`). `since` says when the saturation began, for the log.
   */
  check(now: number, maxDeferMs: number): { defer: boolean; since: number | undefined } {
    const current = this.#read();
    const { utilization } = this.#read(current, this.#last);
    this.#last = current;
    if (utilization < SATURATED_UTILIZATION) {
      this.#since = undefined;
      return { defer: false, since: undefined };
    }
    this.#since ??= now;
    return { defer: now - this.#since <= maxDeferMs, since: this.#since };
  }
}
