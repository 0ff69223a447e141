/**
 * Requests the master sent to workers and awaits answers to, by requestId. Each waits at most its timeout; those sent
 * to a worker that is lost are settled at once, so no control client is ever left without an answer.
 */
export type Settlement<T> =
  | { readonly outcome: 'answered'; readonly answer: T }
  | {
      readonly outcome: 'timeout' | 'worker-lost' | 'send-failed' | 'closed';
      readonly reason: string;
    };

interface Waiting<T> {
  readonly workerId: string;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (settlement: Settlement<T>) => void;
}

export class PendingReplies<T> {
  readonly #waiting = new Map<string, Waiting<T>>();
  /**
   * The request ids waiting on each worker: a lost worker's are found without a walk of every request (1,000 workers
   * lost while 10,000 starts wait made 10^7 steps).
   */
  readonly #byWorker = new Map<string, Set<string>>();

  get size(): number {
    return this.#waiting.size;
  }

  expect(requestId: string, workerId: string, timeoutMs: number): Promise<Settlement<T>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#forget(requestId, workerId);
        resolve({
          outcome: 'timeout',
          reason: `no answer from ${workerId} within ${timeoutMs} ms`,
        });
      }, timeoutMs);
      this.#waiting.set(requestId, { workerId, timer, resolve });
      let ofWorker = this.#byWorker.get(workerId);
      if (!ofWorker) this.#byWorker.set(workerId, (ofWorker = new Set()));
      ofWorker.add(requestId);
    });
  }

  /** Settles a request with its answer; false when nothing waits for it (late, or unknown). */
  answer(requestId: string, answer: T): boolean {
    return this.#settle(requestId, { outcome: 'answered', answer });
  }

  fail(requestId: string, outcome: 'send-failed' | 'worker-lost', reason: string): boolean {
    return this.#settle(requestId, { outcome, reason });
  }

  /** Settles every request sent to a worker that is gone. */
  failWorker(workerId: string, reason: string): void {
    const ofWorker = this.#byWorker.get(workerId);
    if (!ofWorker) return;
    for (const requestId of [...ofWorker])
      this.#settle(requestId, { outcome: 'worker-lost', reason });
  }

  closeAll(reason: string): void {
    for (const requestId of [...this.#waiting.keys()])
      this.#settle(requestId, { outcome: 'closed', reason });
  }

  #settle(requestId: string, settlement: Settlement<T>): boolean {
    const waiting = this.#waiting.get(requestId);
    if (!waiting) return false;
    this.#forget(requestId, waiting.workerId);
    clearTimeout(waiting.timer);
    waiting.resolve(settlement);
    return true;
  }

  #forget(requestId: string, workerId: string): void {
    this.#waiting.delete(requestId);
    const ofWorker = this.#byWorker.get(workerId);
    ofWorker?.delete(requestId);
    if (ofWorker?.size === 0) this.#byWorker.delete(workerId);
  }
}
