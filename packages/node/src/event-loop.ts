/**
 * Keeps a busy node from starving the event loop. With a backlog on a fast adapter (the in-memory one resolves
 * everything in microtasks), a node's loop could run for ever without letting timers or I/O in: no heartbeats, no
 * drain timeouts. The loops call `maybeYield()` after each batch; it gives the event loop a turn once `YIELD_AFTER_MS`
 * of continuous work have passed, so the cost is one clock read per batch.
 */

/** Longest stretch of continuous work between two turns of the event loop. */
export const YIELD_AFTER_MS = 10;

export class EventLoopYielder {
  private since = performance.now();

  /** Resolves at once (undefined) while the stretch is short; otherwise after one turn of the event loop. */
  maybeYield(): Promise<void> | undefined {
    if (performance.now() - this.since < YIELD_AFTER_MS) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.since = performance.now();
        resolve();
      }),
    );
  }
}
