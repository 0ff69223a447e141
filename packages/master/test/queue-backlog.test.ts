/**
 * The master takes the queue counts workers' heartbeats carry and serves them as `Master.queueBacklog()`: over a real
 * ROUTER, from fake workers that send exactly the HEARTBEATs the test writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, eventually } from './helpers.js';

let harness: Harness;
afterEach(() => harness.close());

describe('master - queue backlog from heartbeats', () => {
  it('backlog - heartbeat queue counts are combined over workers; a worker lost drops out', async () => {
    harness = await Harness.start();
    const a = await harness.worker({ types: ['A'] });
    const b = await harness.worker({ types: ['A'] });
    const silent = await harness.worker({ types: ['A'] });
    for (const worker of [a, b, silent]) worker.silence();
    const beat = (
      worker: typeof a,
      queues?: { queue: string; ready: number; unacked: number; consumers: number }[],
    ) =>
      worker.send({
        kind: 'HEARTBEAT',
        masterEpoch: worker.epoch,
        nodes: [],
        ...(queues && { queues }),
      });

    await beat(a, [{ queue: 'A.in', ready: 500, unacked: 20, consumers: 2 }]);
    await beat(b, [{ queue: 'A.in', ready: 480, unacked: 10, consumers: 2 }]);
    // A heartbeat without counts (an adapter that cannot read them) changes nothing.
    await beat(silent);
    const combined = await eventually(
      () => harness.master.queueBacklog(),
      (backlog) => backlog[0]?.unacked === 30,
    );
    expect(combined).toEqual([
      { queue: 'A.in', ready: 480, unacked: 30, consumers: 2, reportedAt: expect.any(Number) },
    ]);

    // a goes silent (lost after the liveness window); b keeps beating, with fresher counts.
    const keepBeating = setInterval(() => {
      void beat(b, [{ queue: 'A.in', ready: 470, unacked: 10, consumers: 1 }]);
      void beat(silent);
    }, 100);
    try {
      const after = await eventually(
        () => harness.master.queueBacklog(),
        (backlog) => harness.master.workers().length === 2 && backlog[0]?.unacked === 10,
        { timeoutMs: 5000 },
      );
      expect(after).toMatchObject([{ queue: 'A.in', ready: 470, unacked: 10, consumers: 1 }]);
    } finally {
      clearInterval(keepBeating);
    }
  });
});
