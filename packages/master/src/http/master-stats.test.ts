import { freshNodeStatus } from '@monomyth/mmop';
import type { NodeStatus } from '@monomyth/mmop';
import { describe, expect, it } from 'vitest';
import { MasterStats } from './master-stats.js';

const node = (name: string, counts: Partial<NodeStatus>): NodeStatus => ({
  ...freshNodeStatus(name, 'A', 'running'),
  ...counts,
});

describe('master stats', () => {
  it('stats - heartbeat counters become monotonic totals: deltas, node rebuilds, worker restarts', () => {
    const stats = new MasterStats();
    stats.heartbeat('w1', [node('a1', { processed: 10, failed: 1, retried: 2, published: 20 })]);
    stats.heartbeat('w1', [node('a1', { processed: 15, failed: 1, retried: 2, published: 30 })]);
    expect(stats.totalsOf('A')).toEqual({
      received: 18,
      processed: 15,
      failed: 1,
      retried: 2,
      published: 30,
      restarts: 0,
    });
    // Rebuilt: restarts moved, counters from 0 (even one that happens to be higher than before counts whole).
    stats.heartbeat('w1', [node('a1', { processed: 4, failed: 3, restarts: 1 })]);
    expect(stats.totalsOf('A')).toMatchObject({ processed: 19, failed: 4, restarts: 1 });
    // A counter lower than last time without a restart count (a worker that does not report it): started again.
    stats.heartbeat('w1', [node('a1', { processed: 2, failed: 3, restarts: 1 })]);
    expect(stats.totalsOf('A')).toMatchObject({ processed: 21, failed: 4 });
    // The worker restarts: new node names, counters from 0.
    stats.heartbeat('w1', [node('a2', { processed: 7 })]);
    expect(stats.totalsOf('A').processed).toBe(28);
  });

  it('stats - a worker lost and back keeps its baseline (nothing counted twice); nodes gone are forgotten', () => {
    const stats = new MasterStats();
    stats.heartbeat('w1', [node('a1', { processed: 100 }), node('a2', { processed: 50 })]);
    stats.workerLost('silent');
    // The worker comes back (it was paused): the same nodes, a little further on.
    stats.heartbeat('w1', [node('a1', { processed: 110 }), node('a2', { processed: 50 })]);
    expect(stats.totalsOf('A').processed).toBe(160);
    // a2 stops: forgotten, so a node of that name later counts from its own start.
    stats.heartbeat('w1', [node('a1', { processed: 110 })]);
    stats.heartbeat('w1', [node('a1', { processed: 110 }), node('a2', { processed: 5 })]);
    expect(stats.totalsOf('A').processed).toBe(165);
    expect(stats.workerLosses).toEqual({ silent: 1, stalled: 0 });
  });

  it('stats - past 10,000 remembered workers, those heard from longest ago are forgotten, not the busy ones', () => {
    const stats = new MasterStats();
    stats.heartbeat('old', [node('o1', { processed: 5 })]);
    stats.heartbeat('busy', [node('b1', { processed: 5 })]);
    for (let i = 0; i < 11_000; i++) {
      stats.heartbeat(`w${i}`, [node(`n${i}`, { processed: 1 })]);
      // 'busy' keeps heartbeating while the others come and go.
      if (i % 1000 === 0) stats.heartbeat('busy', [node('b1', { processed: 5 })]);
    }
    const before = stats.totalsOf('A').processed;
    expect(before).toBe(11_010);
    // 'busy' kept its baseline: nothing new. 'old' was forgotten: its counters count again, whole.
    stats.heartbeat('busy', [node('b1', { processed: 5 })]);
    expect(stats.totalsOf('A').processed).toBe(before);
    stats.heartbeat('old', [node('o1', { processed: 5 })]);
    expect(stats.totalsOf('A').processed).toBe(before + 5);
  });
});
