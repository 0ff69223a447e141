/**
 * How the worker says that READY finds no master: at warn, with the endpoint, the first time, then at most every
 * `everyMs` while the worker keeps trying, so a wrong --master is plain at the default level without a line a second.
 */
export class UnreachableWarning {
  /** Since when READY has found no master; undefined while READY goes out. */
  private since: number | undefined;
  private warnedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly everyMs: number,
    private readonly warn: (forMs: number, error: unknown) => void,
  ) {}

  /** True while READY finds no master. */
  get active(): boolean {
    return this.since !== undefined;
  }

  /** READY could not be sent: warn unless that was said less than `everyMs` ago. */
  failed(error: unknown, now: number = Date.now()): void {
    this.since ??= now;
    if (now - this.warnedAt < this.everyMs) return;
    this.warnedAt = now;
    this.warn(now - this.since, error);
  }

  /** READY went out: the next failure is a new one, said at once. */
  reached(): void {
    this.since = undefined;
    this.warnedAt = Number.NEGATIVE_INFINITY;
  }
}
