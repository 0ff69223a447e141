/**
 * Stalled workers. In `stall`, one worker's event loop is blocked by its own transform: TEST-NODE3 busy-loops on the
 * marker input (see chaos-system.ts) for several liveness windows. In `pause`, a worker is SIGSTOPped for as long and
 * then SIGCONTed. Either way the worker is not dead: its nodes must not end up running twice, and the counts must come
 * back to the ones started.
 */
import { sleep } from '../cluster.js';
import { loads, publishWithFault } from '../scenario.js';
import type { Scenario } from '../scenario.js';
import { STALL_INPUT, STALL_MS_ENV } from '../stall-marker.js';

/** How long the stall lasts: 3 and 5 liveness windows of 2 s. */
function stallMs(short: boolean): number {
  return short ? 6_000 : 10_000;
}

const load = loads(
  { inputs: 4_000, ratePerSec: 400, limitMs: 40_000 },
  { inputs: 10_000, ratePerSec: 500, limitMs: 120_000 },
);

export const stall: Scenario = {
  name: 'stall',
  summary:
    "TEST-NODE3 busy-loops 6 s (short) or 10 s on a marker input at a quarter of the load, blocking its worker's event loop",
  load,
  workerEnv: (short) => ({ [STALL_MS_ENV]: String(stallMs(short)) }),
  async act(context) {
    await publishWithFault(context, 0.25, async () => {
      await context.publisher.send(STALL_INPUT);
      context.fault('stall marker published');
    });
  },
};

export const pause: Scenario = {
  name: 'pause',
  summary: 'one worker SIGSTOPped for 6 s (short) or 10 s at a quarter of the load, then SIGCONTed',
  load,
  async act(context) {
    const victim = context.cluster.workers[1];
    if (!victim) throw new Error('the scenario needs two workers');
    await publishWithFault(context, 0.25, async () => {
      context.fault('worker SIGSTOP');
      victim.current.signal('SIGSTOP');
      await sleep(stallMs(context.short));
      victim.current.signal('SIGCONT');
      context.log('worker SIGCONT');
    });
  },
};
