/**
 * Lets at most `limit` events through per `windowMs`, and says how many it held back when the next window opens, so a
 * peer flooding the master with garbage costs one log line a window instead of one per frame.
 */
export class RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #passed = 0;
  #suppressed = 0;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Whether this event may be reported; `suppressed` counts those held back in the window that just ended. */
  take(now: number): { allowed: boolean; suppressed: number } {
    let suppressed = 0;
    if (now - this.#windowStart >= this.#windowMs) {
      suppressed = this.#suppressed;
      this.#windowStart = now;
      this.#passed = 0;
      this.#suppressed = 0;
    }
    if (this.#passed < this.#limit) {
      this.#passed += 1;
      return { allowed: true, suppressed };
    }
    this.#suppressed += 1;
    return { allowed: false, suppressed };
  }
}
