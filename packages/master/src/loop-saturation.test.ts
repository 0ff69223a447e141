import { describe, expect, it } from 'vitest';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { noopLogger } from '@monomyth/mmop';
import { Cluster } from './cluster.js';
import type { MasterContext } from './context.js';
import { checkLiveness } from './liveness.js';
import { LoopSaturation } from './loop-saturation.js';
import { compileMasterOptions } from './options.js';
import { PendingReplies } from './pending-replies.js';

/** A reader that answers the utilization given for each interval, in turn. */
function reader(
  utilizations: number[],
): (current?: EventLoopUtilization, previous?: EventLoopUtilization) => EventLoopUtilization {
  return (current, previous) => {
    const reading = { idle: 0, active: 0, utilization: 0 };
    if (current && previous) reading.utilization = utilizations.shift() ?? 0;
    return reading;
  };
}

describe('loop saturation', () => {
  it('defer - losses wait while the loop is saturated, for at most the window; a quiet tick resets it', () => {
    const saturation = new LoopSaturation(reader([0.5, 0.99, 1, 1, 1, 0.2, 0.99]));
    expect(saturation.check(0, 3000)).toEqual({ defer: false, since: undefined });
    expect(saturation.check(1000, 3000)).toEqual({ defer: true, since: 1000 });
    expect(saturation.check(2000, 3000)).toEqual({ defer: true, since: 1000 });
    expect(saturation.check(4000, 3000)).toEqual({ defer: true, since: 1000 });
    // Saturated for longer than the window: losses are declared after all.
    expect(saturation.check(5000, 3000)).toEqual({ defer: false, since: 1000 });
    expect(saturation.check(6000, 3000)).toEqual({ defer: false, since: undefined });
    expect(saturation.check(7000, 3000)).toEqual({ defer: true, since: 7000 });
  });

  it('reads the real event loop by default: an idle loop is not saturated', async () => {
    const saturation = new LoopSaturation();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(saturation.check(Date.now(), 1000).defer).toBe(false);
  });
});

describe('liveness while saturated', () => {
  function context(now: { at: number }): MasterContext {
    return {
      cluster: new Cluster(),
      options: compileMasterOptions({ heartbeatIntervalMs: 1000, heartbeatMisses: 3 }),
      log: noopLogger,
      starts: new PendingReplies(),
      stops: new PendingReplies(),
      shutdowns: new PendingReplies(),
      send: () => Promise.resolve(),
      nextRequestId: () => 'r',
      now: () => now.at,
    };
  }
  const ready = {
    kind: 'READY',
    workerId: 'w1',
    host: 'h',
    pid: 1,
    capacity: 1,
    recipes: [],
    nodes: [],
  } as const;

  it('check - a silent worker is not declared lost while the loop is saturated, and is once the deferral ends', () => {
    const now = { at: 0 };
    const master = context(now);
    master.cluster.register({ ...ready, recipes: [], nodes: [] }, Buffer.from('w1'), 0, false);
    const lost: string[] = [];
    const saturation = new LoopSaturation(reader([1, 1, 1]));
    now.at = 5000;
    checkLiveness(master, (id) => lost.push(id), saturation);
    expect(lost).toEqual([]);
    now.at = 9000;
    checkLiveness(master, (id) => lost.push(id), saturation);
    expect(lost).toEqual(['w1']);
  });
});
