/**
 * Waits for a condition that a system reaches by itself (a heartbeat arrives, a liveness check runs, a worker
 * re-registers), reading it again until `accept` holds. Errors thrown by `read` count as "not yet" (a process still
 * starting); at the timeout the promise rejects with the last one, or with the last value read in the message. It needs
 * no test runner (the package's root imports without vitest), and runs on node:timers/promises so a test's fake timers
 * do not freeze it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** @default 5_000 */
  readonly timeoutMs?: number;
  /** @default 20 */
  readonly intervalMs?: number;
}

export async function eventually<T>(
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 5_000, intervalMs = 20 }: EventuallyOptions = {},
): Promise<T> {
  let last: unknown = new Error(
    `condition not reached within ${timeoutMs} ms: read never returned`,
  );
  const attempt = async (): Promise<{ readonly value: T } | undefined> => {
    try {
      const value = await read();
      if (accept(value)) return { value };
      last = new Error(`condition not reached; last value: ${JSON.stringify(value)}`);
    } catch (error) {
      last = error;
    }
    return undefined;
  };

  // A read that never settles must not outlive the timeout: each attempt races what is left of it.
  const timeout = new AbortController();
  const expired = sleep(timeoutMs, 'expired' as const, { signal: timeout.signal });
  expired.catch(() => {}); // rejects (aborted) once the condition holds: nobody waits for it then
  try {
    for (;;) {
      const outcome = await Promise.race([attempt(), expired]);
      if (outcome === 'expired') throw last;
      if (outcome !== undefined) return outcome.value;
      if ((await Promise.race([sleep(intervalMs), expired])) === 'expired') throw last;
    }
  } finally {
    timeout.abort();
  }
}
