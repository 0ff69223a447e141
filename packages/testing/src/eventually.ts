/**
 * Waits for a condition that a system reaches by itself (a heartbeat arrives, a liveness check runs, a worker
 * re-registers), reading it again until `accept` holds. Built on vitest's `vi.waitFor`; errors thrown by `read` count as
 * "not yet" (a process still starting), and the last value read is in the timeout's message.
 */
import { vi } from 'vitest';

export interface EventuallyOptions {
  /** @default 5_000 */
  readonly timeoutMs?: number;
  /** @default 20 */
  readonly intervalMs?: number;
}

export function eventually<T>(
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 5_000, intervalMs = 20 }: EventuallyOptions = {},
): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await read();
      if (!accept(value))
        throw new Error(`condition not reached; last value: ${JSON.stringify(value)}`);
      return value;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}
