import type { MessageOf, NodeStatus } from '@monomyth/mmop';
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';

const recipe = (type: string) => ({ type, source: `${type}.in` });

function ready(
  workerId: string,
  types: readonly string[],
  nodes: readonly { name: string; type: string }[] = [],
  capacity = 4,
): MessageOf<'READY'> {
  return {
    kind: 'READY',
    workerId,
    host: 'h',
    pid: 1,
    capacity,
    recipes: types.map(recipe),
    nodes: nodes.map((node) => ({ ...node, recipe: recipe(node.type) })),
  };
}

function status(name: string, type: string): NodeStatus {
  return {
    name,
    type,
    state: 'running',
    processed: 1,
    failed: 0,
    retried: 0,
    inFlight: 0,
    batches: 1,
    restarts: 0,
  };
}

const id = (text: string) => Buffer.from(text);

/** The READY of worker w1, which offers A and already runs one A node, a1. */
const w1RunningA1 = () => ready('w1', ['A'], [{ name: 'a1', type: 'A' }]);

describe('cluster', () => {
  it('register - a worker is known by id and identity; its types join the catalog, which outlives it', () => {
    const cluster = new Cluster();
    const { worker, again } = cluster.register(ready('w1', ['B', 'A']), id('i1'), 100, false);
    expect(again).toBe(false);
    expect(cluster.worker('w1')).toBe(worker);
    expect(cluster.workerByIdentity(id('i1'))).toBe(worker);
    expect(cluster.knownTypes()).toEqual(['A', 'B']);
    cluster.remove(worker, 1000);
    expect(cluster.workerCount).toBe(0);
    expect(cluster.workerByIdentity(id('i1'))).toBeUndefined();
    expect(cluster.recipe('A')).toEqual(recipe('A'));
  });

  it('register again - same record, new identity; the old identity no longer reaches it; its nodes are taken as listed', () => {
    const cluster = new Cluster();
    const first = cluster.register(ready('w1', ['A']), id('i1'), 100, false).worker;
    const { worker, again } = cluster.register(w1RunningA1(), id('i2'), 200, false);
    expect(worker).toBe(first);
    expect(again).toBe(true);
    expect(cluster.workerByIdentity(id('i1'))).toBeUndefined();
    expect(cluster.workerByIdentity(id('i2'))).toBe(worker);
    expect(cluster.running('A')).toBe(1);
    expect(worker.nodes.get('a1')?.startedAt).toBe(200);
  });

  it('register - a master in its recovery window learns desired counts from what runs; otherwise what runs is surplus', () => {
    const nodes = [
      { name: 'a1', type: 'A' },
      { name: 'a2', type: 'A' },
    ];
    const learning = new Cluster();
    learning.register(ready('w1', ['A'], nodes), id('i1'), 0, true);
    expect(learning.desired('A')).toBe(2);
    expect(learning.surpluses().size).toBe(0);
    const strict = new Cluster();
    strict.register(ready('w1', ['A'], nodes), id('i1'), 0, false);
    expect(strict.desired('A')).toBe(0);
    expect(strict.surpluses()).toEqual(new Map([['A', 2]]));
  });

  it('desired - never below zero; deficits count running and outstanding starts', () => {
    const cluster = new Cluster();
    const { worker } = cluster.register(w1RunningA1(), id('i'), 0, false);
    cluster.changeDesired('A', -3);
    expect(cluster.desired('A')).toBe(0);
    cluster.changeDesired('A', 4);
    worker.addOutstanding('A', 1);
    expect(cluster.deficits()).toEqual(new Map([['A', 2]]));
    expect(cluster.outstanding('A')).toBe(1);
  });

  it('surpluses - nodes already being stopped are not counted again', () => {
    const cluster = new Cluster();
    const nodes = [
      { name: 'a1', type: 'A' },
      { name: 'a2', type: 'A' },
    ];
    const { worker } = cluster.register(ready('w1', ['A'], nodes), id('i'), 0, false);
    cluster.changeDesired('A', 1);
    expect(cluster.surpluses()).toEqual(new Map([['A', 1]]));
    worker.stopping.add('a2');
    expect(cluster.surpluses().size).toBe(0);
  });

  it('heartbeat - replaces the node list, keeps the start time of known nodes, forgets stops of nodes gone', () => {
    const cluster = new Cluster();
    const { worker } = cluster.register(ready('w1', ['A']), id('i'), 0, false);
    cluster.nodeStarted(worker, 'A', 'a1', 10);
    worker.stopping.add('a1');
    cluster.heartbeat(worker, [status('a1', 'A'), status('a2', 'A')], 5, 50);
    expect(worker.lagMs).toBe(5);
    expect(worker.lastSeenAt).toBe(50);
    expect(worker.nodes.get('a1')?.startedAt).toBe(10);
    expect(worker.nodes.get('a2')?.startedAt).toBe(50);
    expect(worker.stopping.has('a1')).toBe(true);
    cluster.heartbeat(worker, [status('a2', 'A')], 0, 60);
    expect(worker.stopping.has('a1')).toBe(false);
    expect(cluster.findNode('a2')).toBe(worker);
    expect(cluster.findNode('a1')).toBeUndefined();
  });

  it('remove - a lost worker that comes back keeps its nodes ages, so the nodes placed instead are the newest', () => {
    const cluster = new Cluster();
    const { worker } = cluster.register(ready('w1', ['A']), id('i'), 0, false);
    cluster.nodeStarted(worker, 'A', 'a1', 10);
    cluster.remove(worker, 1000);
    const back = cluster.register(w1RunningA1(), id('j'), 500, false);
    expect(back.worker).not.toBe(worker);
    expect(back.worker.nodes.get('a1')?.startedAt).toBe(10);
  });

  it('remove - a worker removed while stalled registers as stalled still, its lag grown by the time away', () => {
    const cluster = new Cluster();
    const { worker } = cluster.register(ready('w1', ['A']), id('i'), 0, false);
    cluster.heartbeat(worker, [], 5000, 1000);
    expect(worker.stalled(2000)).toBe(true);
    cluster.remove(worker, 2000);
    const back = cluster.register(ready('w1', ['A']), id('i'), 4000, false).worker;
    expect(back.lagMs).toBe(8000);
    expect(back.stalled(2000)).toBe(true);
    // A worker removed while answering comes back with no lag.
    cluster.heartbeat(back, [], 0, 4100);
    cluster.remove(back, 2000);
    expect(cluster.register(ready('w1', ['A']), id('i'), 5000, false).worker.lagMs).toBe(0);
  });

  it('remove - a worker record that was replaced is not removed by its stale copy', () => {
    const cluster = new Cluster();
    const old = cluster.register(ready('w1', ['A']), id('i'), 0, false).worker;
    cluster.remove(old, 1000);
    const current = cluster.register(ready('w1', ['A']), id('i'), 1, false).worker;
    cluster.remove(old, 1000);
    expect(cluster.worker('w1')).toBe(current);
  });

  it('nodeGone - returns the type of the node that left, undefined for an unknown one', () => {
    const cluster = new Cluster();
    const { worker } = cluster.register(w1RunningA1(), id('i'), 0, false);
    worker.stopping.add('a1');
    expect(cluster.nodeGone(worker, 'a1')).toBe('A');
    expect(worker.stopping.size).toBe(0);
    expect(cluster.nodeGone(worker, 'a1')).toBeUndefined();
  });

  it('silent workers - those not heard from for longer than the limit', () => {
    const cluster = new Cluster();
    cluster.register(ready('w1', ['A']), id('1'), 0, false);
    cluster.register(ready('w2', ['A']), id('2'), 900, false);
    expect(cluster.silentWorkers(1000, 500).map((worker) => worker.id)).toEqual(['w1']);
  });

  it('worker info - reports stalled workers as stalled, nodes without heartbeat as starting', () => {
    const cluster = new Cluster();
    const { worker } = cluster.register(
      ready('w1', ['B', 'A'], [{ name: 'a1', type: 'A' }]),
      id('i'),
      0,
      false,
    );
    let [info] = cluster.workerInfo(100, 1000);
    expect(info).toMatchObject({
      workerId: 'w1',
      state: 'active',
      lastSeenMsAgo: 100,
      types: ['A', 'B'],
    });
    expect(info?.nodes[0]).toMatchObject({ name: 'a1', state: 'starting', processed: 0 });
    cluster.heartbeat(worker, [status('a1', 'A')], 5000, 100);
    [info] = cluster.workerInfo(100, 1000);
    expect(info?.state).toBe('stalled');
    expect(info?.nodes[0]?.state).toBe('running');
  });

  it('recipe info - every known or desired type with its counts and the workers that can run it', () => {
    const cluster = new Cluster();
    cluster.register(w1RunningA1(), id('1'), 0, false);
    cluster.register(ready('w2', ['A', 'B']), id('2'), 0, false);
    cluster.changeDesired('C', 1);
    cluster.changeDesired('A', 2);
    cluster.count('A', 'failed');
    cluster.count('A', 'completed', 3);
    expect(cluster.recipeInfo()).toEqual([
      { type: 'A', desired: 2, running: 1, outstanding: 0, completed: 3, failed: 1, workers: 2 },
      { type: 'B', desired: 0, running: 0, outstanding: 0, completed: 0, failed: 0, workers: 1 },
      { type: 'C', desired: 1, running: 0, outstanding: 0, completed: 0, failed: 0, workers: 0 },
    ]);
  });
});
