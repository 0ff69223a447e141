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

  get size(): number {
    return this.#waiting.size;
  }

  expect(requestId: string, workerId: string, timeoutMs: number): Promise<Settlement<T>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(requestId);
        resolve({
          outcome: 'timeout',
          reason: `no answer from ${workerId} within ${timeoutMs} ms`,
        });
      }, timeoutMs);
      this.#waiting.set(requestId, { workerId, timer, resolve });
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
    for (const [requestId, waiting] of this.#waiting) {
      if (waiting.workerId === workerId)
        this.#settle(requestId, { outcome: 'worker-lost', reason });
    }
  }

  closeAll(reason: string): void {
    for (const requestId of [...this.#waiting.keys()])
      this.#settle(requestId, { outcome: 'closed', reason });
  }

  #settle(requestId: string, settlement: Settlement<T>): boolean {
    const waiting = this.#waiting.get(requestId);
    if (!waiting) return false;
    this.#waiting.delete(requestId);
    clearTimeout(waiting.timer);
    waiting.resolve(settlement);
    return true;
  }
}
