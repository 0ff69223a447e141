/** A promise with its resolve and reject at hand: what `Node.run()` hands out. */
export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // run() hands this promise out; a node nobody runs must not report an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
