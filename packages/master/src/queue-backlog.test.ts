import type { MessageOf } from '@monomyth/mmop';
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { queueBacklog } from './queue-backlog.js';

const counts = (queue: string, ready: number, unacked: number, consumers = 2) => ({
  queue,
  ready,
  unacked,
  consumers,
});

function ready(workerId: string, types: readonly string[]): MessageOf<'READY'> {
  return {
    kind: 'READY',
    workerId,
    host: 'h',
    pid: 1,
    capacity: 4,
    recipes: types.map((type) => ({ type, source: type === 'GEN' ? null : `${type}.in` })),
    nodes: [],
  };
}

describe('queue backlog', () => {
  it('backlog - ready and consumers come from the newest report, unacked is summed over workers', () => {
    const backlog = queueBacklog([
      { queues: [counts('q1', 100, 5), counts('q2', 3, 0, 1)], at: 1000 },
      { queues: [counts('q1', 90, 7, 3)], at: 2000 },
      { queues: [counts('q1', 95, 1)], at: 1500 },
      { queues: [], at: 0 },
    ]);
    expect(backlog.get('q1')).toEqual({
      queue: 'q1',
      ready: 90,
      unacked: 13,
      consumers: 3,
      reportedAt: 2000,
    });
    expect(backlog.get('q2')).toEqual({ ...counts('q2', 3, 0, 1), reportedAt: 1000 });
    expect([...backlog.keys()].sort()).toEqual(['q1', 'q2']);
  });

  it('backlog - a worker record keeps its last report through heartbeats without counts; the cluster reads them per type', () => {
    const cluster = new Cluster();
    const w1 = cluster.register(ready('w1', ['A', 'GEN']), Buffer.from('w1'), 0, false).worker;
    const w2 = cluster.register(ready('w2', ['A', 'B']), Buffer.from('w2'), 0, false).worker;
    w1.noteQueues([counts('A.in', 40, 10)], 100);
    w2.noteQueues([counts('A.in', 38, 4), counts('B.in', 7, 0)], 200);
    w1.noteQueues(undefined, 300);

    expect(cluster.backlogOf('A')).toMatchObject({ ready: 38, unacked: 14 });
    expect(cluster.backlogOf('B')).toMatchObject({ ready: 7, unacked: 0 });
    // A generator has no source queue; an unknown type, no recipe.
    expect(cluster.backlogOf('GEN')).toBeUndefined();
    expect(cluster.backlogOf('NOPE')).toBeUndefined();
    // RECIPE-INFO carries it for `monomyth top` and the control client.
    const info = new Map(cluster.recipeInfo().map((entry) => [entry.type, entry]));
    expect(info.get('A')?.backlog).toEqual({ ready: 38, unacked: 14 });
    expect(info.get('GEN')?.backlog).toBeUndefined();

    // A worker gone takes its unacknowledged messages' count with it (the broker gives them back as ready).
    cluster.remove(w2, 1000);
    expect(cluster.backlogOf('A')).toMatchObject({ ready: 40, unacked: 10 });
    expect(cluster.backlogOf('B')).toBeUndefined();
  });
});
