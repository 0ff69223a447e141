import { compileAutoscalePolicy } from '@monomyth/mmop';
import { describe, expect, it } from 'vitest';
import { AutoscaleDecider } from './autoscale-decision.js';

const policy = compileAutoscalePolicy({ min: 1, max: 8, targetBacklogPerNode: 100 });

/** Feeds the decider one figure a second, as the master's tick does, applying each step; returns the counts seen. */
function run(
  decider: AutoscaleDecider,
  backlogs: readonly (number | undefined)[],
  start = 1,
): { desired: number[]; steps: { at: number; to: number }[] } {
  let desired = start;
  const counts: number[] = [];
  const steps: { at: number; to: number }[] = [];
  backlogs.forEach((backlog, second) => {
    const step = decider.decide({ backlog, desired, now: second * 1000 });
    if (step) {
      desired = step.to;
      steps.push({ at: second, to: step.to });
    }
    counts.push(desired);
  });
  return { desired: counts, steps };
}

const seconds = (count: number, backlog: number | undefined): (number | undefined)[] =>
  Array.from({ length: count }, () => backlog);

describe('autoscale decision', () => {
  it('wanted - ceil(backlog / target), within min and max', () => {
    const decider = new AutoscaleDecider(policy);
    expect(decider.wanted(0)).toBe(1);
    expect(decider.wanted(100)).toBe(1);
    expect(decider.wanted(101)).toBe(2);
    expect(decider.wanted(450)).toBe(5);
    expect(decider.wanted(1_000_000)).toBe(8);
  });

  it('up - after scaleUpAfterMs above target, straight to what the backlog asks for', () => {
    const { steps } = run(new AutoscaleDecider(policy), seconds(10, 650));
    // Above target from t=0; 5 s later (the default) desired jumps 1 -> 7 in one step, then stays.
    expect(steps).toEqual([{ at: 5, to: 7 }]);
  });

  it('up - never past max', () => {
    const { steps } = run(new AutoscaleDecider(policy), seconds(8, 50_000));
    expect(steps).toEqual([{ at: 5, to: 8 }]);
  });

  it('down - one node at a time, scaleDownAfterMs apart, to min and no lower', () => {
    const { steps } = run(new AutoscaleDecider(policy), seconds(200, 0), 4);
    expect(steps).toEqual([
      { at: 30, to: 3 },
      { at: 60, to: 2 },
      { at: 90, to: 1 },
    ]);
  });

  it('flapping - a backlog that dips under target now and then never scales up', () => {
    // 4 s above, 1 s below, over and over: never 5 s above without a break.
    const pattern = [...seconds(4, 250), 50];
    const { steps } = run(new AutoscaleDecider(policy), Array(12).fill(pattern).flat());
    expect(steps).toEqual([]);
  });

  it('flapping - a backlog back above target now and then never scales down', () => {
    const pattern = [...seconds(20, 0), 900];
    const { steps } = run(new AutoscaleDecider(policy), Array(10).fill(pattern).flat(), 9 - 1);
    // Every 21 s the backlog asks for max again: 20 s below is never the 30 s a step down needs.
    expect(steps).toEqual([]);
  });

  it('flapping - after a rise, a short lull does not bring it down', () => {
    const { desired } = run(new AutoscaleDecider(policy), [
      ...seconds(6, 400),
      ...seconds(20, 0),
      ...seconds(6, 400),
    ]);
    expect(desired.slice(5)).toEqual(Array(desired.length - 5).fill(4));
  });

  it('unknown backlog - no decision, and the wait starts again once it is known', () => {
    const { steps } = run(new AutoscaleDecider(policy), [
      ...seconds(4, 500),
      undefined,
      ...seconds(6, 500),
    ]);
    expect(steps).toEqual([{ at: 10, to: 5 }]);
  });

  it('bounds - a desired count outside min and max is brought inside at once, whatever the backlog', () => {
    const decider = new AutoscaleDecider(compileAutoscalePolicy({ ...policy, min: 2, max: 4 }));
    expect(decider.decide({ backlog: undefined, desired: 0, now: 0 })).toMatchObject({ to: 2 });
    expect(decider.decide({ backlog: 0, desired: 9, now: 0 })).toMatchObject({ to: 4 });
    expect(decider.decide({ backlog: 300, desired: 3, now: 0 })).toBeUndefined();
  });

  it('custom waits - scaleUpAfterMs 0 rises at the first figure; scaleDownAfterMs is honoured', () => {
    const decider = new AutoscaleDecider(
      compileAutoscalePolicy({ ...policy, scaleUpAfterMs: 0, scaleDownAfterMs: 2000 }),
    );
    expect(run(decider, [300, 300, 0, 0, 0, 0, 0]).steps).toEqual([
      { at: 0, to: 3 },
      { at: 4, to: 2 },
      { at: 6, to: 1 },
    ]);
  });
});
