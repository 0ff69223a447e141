/**
 * How an adapter's `close()` waits for its drain: until nothing is held unsettled or being published, or the drain
 * timeout, whichever comes first. The adapter says what "drained" means and calls `check()` whenever something settles;
 * nothing polls.
 */
export class DrainGate {
  readonly #isDrained: () => boolean;
  #open: (() => void) | undefined;

  constructor(isDrained: () => boolean) {
    this.#isDrained = isDrained;
  }

  /** Resolves once drained (at once if already), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    if (this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => {
      const open = (): void => {
        clearTimeout(timer);
        this.#open = undefined;
        resolve();
      };
      const timer = setTimeout(open, timeoutMs);
      this.#open = open;
    });
  }

  /** Something settled: let a waiting drain through if that was the last of it. */
  check(): void {
    if (this.#open !== undefined && this.#isDrained()) this.#open();
  }
}
