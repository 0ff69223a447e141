import { compileAutoscalePolicy } from '@monomyth/mmop';
import { describe, expect, it } from 'vitest';
import { AutoscaleDecider, rateSpansFor } from './autoscale-decision.js';
import type { AutoscaleStep } from './autoscale-decision.js';

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

  describe('the processing rate', () => {
    /**
     * A type on a fake clock, one tick a second: `arriving(second)` messages come each second, each running node
     * processes up to `perNode` a second from the backlog, and every step the decider takes is applied at once.
     */
    function stream(
      decider: AutoscaleDecider | undefined,
      options: { seconds: number; start: number; backlog: number; perNode: number },
      arriving: (second: number) => number,
      rate = true,
      countersEverySeconds = 1,
    ): {
      desired: number[];
      steps: (AutoscaleStep & { at: number })[];
      held: string[];
      backlog: number[];
    } {
      let { start: desired, backlog } = options;
      let processed = 0;
      // What the heartbeats say: the count as of the last counters report (every heartbeat by default).
      let reported = 0;
      const out = {
        desired: [] as number[],
        steps: [] as (AutoscaleStep & { at: number })[],
        held: [] as string[],
        backlog: [] as number[],
      };
      for (let second = 0; second < options.seconds; second++) {
        backlog += arriving(second);
        const done = Math.min(backlog, desired * options.perNode);
        backlog -= done;
        processed += done;
        if (second % countersEverySeconds === 0) reported = processed;
        const step = decider?.decide({
          backlog,
          desired,
          now: second * 1000,
          ...(rate && { processed: reported, running: desired }),
        });
        if (step) {
          desired = step.to;
          out.steps.push({ ...step, at: second });
        }
        if (decider?.held !== undefined) out.held.push(decider.held);
        out.desired.push(desired);
        out.backlog.push(backlog);
      }
      return out;
    }

    const upTo4 = compileAutoscalePolicy({ min: 1, max: 4, targetBacklogPerNode: 100 });
    // 4 nodes of 100/s each: a backlog of 1,000 keeps them busy 25 s (and measures them), then 380/s arrive: 4 nodes
    // just keep up (3 would fall 80/s behind).
    const steady = { seconds: 400, start: 4, backlog: 1000, perNode: 100 };

    it('a steady stream that the nodes just keep up with is not scaled down', () => {
      const decider = new AutoscaleDecider(upTo4);
      const { desired, steps, held, backlog } = stream(decider, steady, () => 380);
      expect(steps).toEqual([]);
      expect(desired.every((count) => count === 4)).toBe(true);
      expect(Math.max(...backlog.slice(100))).toBe(0);
      // The hold says why, with the figures.
      expect(held.at(-1)).toBe(
        'backlog below target for 30000 ms, but 3 nodes at 100/s each: 300/s, 380/s arriving (10 % spare wanted)',
      );
      expect(decider.rates()).toEqual({ arriving: 380, perNode: 100 });
    });

    it('counters every 5 s (countersIntervalMs): a node rate is measured over two reports at least, not a burst', () => {
      // 2 nodes of 100/s, busy throughout; their counters reach the master every 5 s (at 0, 5, 10 s), and the stretch
      // is first seen at 4 s. The report at 5 s brings 5 s of work into a stretch 1 s old.
      const feed = (decider: AutoscaleDecider, from: number, upTo: number): void => {
        for (let second = from; second <= upTo; second++) {
          const reported = Math.floor(second / 5) * 5 * 200;
          decider.decide({
            backlog: 1000,
            desired: 2,
            now: second * 1000,
            processed: reported,
            running: 2,
          });
        }
      };
      const plain = new AutoscaleDecider(upTo4);
      feed(plain, 4, 6);
      // Over the default 2 s: 1,000 messages in 2 s by 2 nodes, 250/s each, two and a half times the truth.
      expect(plain.rates().perNode).toBe(250);
      const spaced = new AutoscaleDecider(upTo4, rateSpansFor(5000));
      feed(spaced, 4, 6);
      expect(spaced.rates().perNode).toBeUndefined();
      feed(spaced, 7, 14);
      expect(spaced.rates().perNode).toBe(100);
      // At the default interval (every heartbeat) the spans are the defaults.
      expect(rateSpansFor(1000)).toEqual({ windowMs: 10_000, minSpanMs: 2_000 });
    });

    it('the backlog alone scales the same stream down, and back up: the cycle the rate prevents', () => {
      const { steps } = stream(new AutoscaleDecider(upTo4), steady, () => 380, false);
      const moves = steps.map((step) => step.to);
      expect(moves.slice(0, 2)).toEqual([3, 4]);
      expect(moves.length).toBeGreaterThan(4);
    });

    it('when fewer arrive, steps down to what keeps up, and no further', () => {
      // 380/s for 100 s, then 150/s: 2 nodes (200/s) keep up with 10 % spare, 1 node does not.
      const { steps, desired, held, backlog } = stream(
        new AutoscaleDecider(upTo4),
        steady,
        (second) => (second < 100 ? 380 : 150),
      );
      expect(steps.map(({ at, to }) => ({ at, to }))).toEqual([
        // The 10 s window's arrival rate falls under 300 / 1.1 a few seconds after the stream thins.
        { at: 104, to: 3 },
        { at: 134, to: 2 },
      ]);
      expect(steps[1]?.reason).toBe(
        'backlog below target for 30000 ms; 2 nodes at 100/s each: 200/s, 150/s arriving',
      );
      expect(steps[1]?.rates).toEqual({ arriving: 150, perNode: 100 });
      expect(desired.at(-1)).toBe(2);
      expect(held.at(-1)).toMatch(/1 node at 100\/s each: 100\/s, 150\/s arriving/);
      expect(Math.max(...backlog.slice(100))).toBe(0);
    });

    it('when nothing arrives any more, steps down to min', () => {
      const { steps } = stream(new AutoscaleDecider(upTo4), steady, (second) =>
        second < 100 ? 380 : 0,
      );
      expect(steps.map(({ at, to }) => ({ at, to }))).toEqual([
        { at: 102, to: 3 },
        { at: 132, to: 2 },
        { at: 162, to: 1 },
      ]);
    });

    it('a rate never measured while busy leaves the steps to the backlog, and says so', () => {
      // No backlog ever: the nodes were never busy, so what they process is what they are given, not what they can do.
      const { steps } = stream(
        new AutoscaleDecider(upTo4),
        { ...steady, backlog: 0, seconds: 40 },
        () => 50,
      );
      expect(steps).toMatchObject([
        {
          at: 30,
          to: 3,
          reason: 'backlog below target for 30000 ms; no busy stretch has measured a node yet',
        },
      ]);
    });

    it('a count that goes back (a restarted master) starts the measure again', () => {
      const decider = new AutoscaleDecider(upTo4);
      stream(decider, { ...steady, seconds: 60 }, () => 380);
      expect(decider.rates().arriving).toBe(380);
      decider.decide({ backlog: 0, desired: 4, now: 61_000, processed: 10, running: 4 });
      expect(decider.rates().arriving).toBeUndefined();
    });
  });
});
