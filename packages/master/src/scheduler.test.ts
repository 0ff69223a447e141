import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseNodesToStop, chooseWorker, chooseWorkers } from './scheduler.js';
import { WorkerRecord } from './worker-record.js';

/** A worker that can run `types`, with `nodes` running (name -> type). */
function worker(
  id: string,
  types: readonly string[],
  nodes: Record<string, string> = {},
  capacity = 4,
): WorkerRecord {
  const record = new WorkerRecord(id, Buffer.from(id), 'h', 1, capacity, 0);
  for (const type of types) record.recipes.set(type, { type });
  for (const [name, type] of Object.entries(nodes))
    record.nodes.set(name, { name, type, status: undefined, startedAt: 0 });
  return record;
}

describe('scheduler - placement', () => {
  it('eligible - only active workers that can run the type, have room and are not stalled', () => {
    const draining = worker('draining', ['A']);
    draining.state = 'draining';
    const full = worker('full', ['A'], { x: 'B' }, 1);
    const stalled = worker('stalled', ['A']);
    stalled.lagMs = 5000;
    const other = worker('other', ['B']);
    expect(chooseWorker([draining, full, stalled, other], 'A', 0, 1000)).toBeUndefined();
    const fine = worker('fine', ['A']);
    expect(chooseWorker([draining, full, stalled, other, fine], 'A', 0, 1000)).toBe(fine);
  });

  it('spread - the fewest nodes of the type first, then the fewest of all types, then the longest idle', () => {
    const twoOfType = worker('w1', ['A', 'B'], { a1: 'A', a2: 'A' });
    const oneOfType = worker('w2', ['A', 'B'], { a3: 'A', b1: 'B', b2: 'B' });
    expect(chooseWorker([twoOfType, oneOfType], 'A', 0)).toBe(oneOfType);

    const busy = worker('w3', ['A', 'B'], { b1: 'B', b2: 'B' });
    const idle = worker('w4', ['A', 'B'], { b3: 'B' });
    expect(chooseWorker([busy, idle], 'A', 0)).toBe(idle);

    const recent = worker('w5', ['A']);
    recent.lastAssignedAt = 50;
    const longIdle = worker('w6', ['A']);
    longIdle.lastAssignedAt = 10;
    expect(chooseWorker([recent, longIdle], 'A', 100)).toBe(longIdle);
  });

  it('outstanding - a choice counts the start at once, so back-to-back choices spread out', () => {
    const w1 = worker('w1', ['A']);
    const w2 = worker('w2', ['A']);
    const picks = [0, 1, 2, 3].map((t) => chooseWorker([w1, w2], 'A', t)?.id);
    expect(picks).toEqual(['w1', 'w2', 'w1', 'w2']);
    expect(w1.outstandingOf('A')).toBe(2);
    expect(w2.lastAssignedAt).toBe(3);
  });

  it('capacity - outstanding starts take room like running nodes', () => {
    const small = worker('w1', ['A'], {}, 1);
    expect(chooseWorker([small], 'A', 0)).toBe(small);
    expect(chooseWorker([small], 'A', 1)).toBeUndefined();
  });

  it('avoid - a worker that recently failed the type is used only when no other can take it, until the time passes', () => {
    const failed = worker('w1', ['A']);
    failed.avoid.set('A', 1000);
    const loaded = worker('w2', ['A'], { a1: 'A', a2: 'A' });
    expect(chooseWorker([failed, loaded], 'A', 0)).toBe(loaded);
    const alone = worker('w3', ['A']);
    alone.avoid.set('A', 1000);
    expect(chooseWorker([alone], 'A', 0)).toBe(alone);
    // Past its time the avoidance is forgotten: the emptier worker wins again.
    expect(chooseWorker([failed, loaded], 'A', 1000)).toBe(failed);
    expect(failed.avoid.has('A')).toBe(false);
  });
});

describe('scheduler - many at once', () => {
  /** Workers built from a description, so two identical sets can be compared. */
  interface Shape {
    types: string[];
    nodes: string[];
    capacity: number;
    lastAssignedAt: number;
    avoided: boolean;
    draining: boolean;
  }
  const build = (shapes: readonly Shape[]): WorkerRecord[] =>
    shapes.map((shape, i) => {
      const record = worker(
        `w${i}`,
        shape.types,
        Object.fromEntries(shape.nodes.map((type, n) => [`w${i}-${n}`, type])),
        shape.capacity,
      );
      record.lastAssignedAt = shape.lastAssignedAt;
      if (shape.avoided) record.avoid.set('A', 10_000);
      if (shape.draining) record.state = 'draining';
      return record;
    });
  const shape = fc.record({
    types: fc.subarray(['A', 'B']),
    nodes: fc.array(fc.constantFrom('A', 'B'), { maxLength: 4 }),
    capacity: fc.integer({ min: 0, max: 6 }),
    lastAssignedAt: fc.integer({ min: 0, max: 3 }),
    avoided: fc.boolean(),
    draining: fc.boolean(),
  });

  it('same - chooseWorkers(n) makes the choices n calls of chooseWorker make, in order, outstanding counted', () => {
    fc.assert(
      fc.property(
        fc.array(shape, { maxLength: 12 }),
        fc.integer({ min: 0, max: 30 }),
        (shapes, n) => {
          const one = build(shapes);
          const many = build(shapes);
          const sequential: string[] = [];
          for (let i = 0; i < n; i++) {
            const chosen = chooseWorker(one, 'A', 5);
            if (!chosen) break;
            sequential.push(chosen.id);
          }
          expect(chooseWorkers(many, 'A', n, 5).map((w) => w.id)).toEqual(sequential);
          expect(many.map((w) => [w.outstandingOf('A'), w.lastAssignedAt])).toEqual(
            one.map((w) => [w.outstandingOf('A'), w.lastAssignedAt]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('scale - 10,000 nodes on 10,000 workers with room for many: spread one each', () => {
    const workers = Array.from({ length: 10_000 }, (_, i) =>
      worker(`w${i}`, ['A'], { [`b${i}`]: 'B' }, 16),
    );
    const chosen = chooseWorkers(workers, 'A', 10_000, 1);
    expect(new Set(chosen).size).toBe(10_000);
  });
});

describe('scheduler - stopping', () => {
  it('surplus - stops are taken from the workers running the most of the type, so what stays is spread', () => {
    const w1 = worker('w1', ['A'], { a1: 'A', a2: 'A', a3: 'A', b1: 'B' });
    const w2 = worker('w2', ['A'], { a4: 'A' });
    const chosen = chooseNodesToStop([w1, w2], 'A', 3);
    expect(chosen.map(({ worker: w, nodeName }) => `${w.id}:${nodeName}`)).toEqual([
      'w1:a3',
      'w1:a2',
      // Now one each: the first found keeps going.
      'w1:a1',
    ]);
  });

  it('surplus - never more than there are, and only of the type', () => {
    const w1 = worker('w1', ['A', 'B'], { a1: 'A', b1: 'B' });
    expect(chooseNodesToStop([w1], 'A', 5).map((c) => c.nodeName)).toEqual(['a1']);
    expect(chooseNodesToStop([w1], 'C', 1)).toEqual([]);
  });
});
