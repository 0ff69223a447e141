import { describe, expect, it } from 'vitest';
import { BatchRuns } from './batch-runs.js';
import type { BatchInfo, BatchOutcome } from './interceptors.js';
import { NodeCounters } from './node-stats.js';

const node = { type: 'T', name: 'T:1', worker: undefined };
const outcome: BatchOutcome = { processed: 8, failed: 1, retried: 1, requeued: 0, published: 9 };

describe('batch runs', () => {
  it('counts - each batch adds its outcome to the counters, and one batch', async () => {
    const counters = new NodeCounters();
    const runs = new BatchRuns(node, [], counters, () => false);
    await runs.run(10, 'in', () => Promise.resolve(outcome));
    await runs.run(10, 'in', () => Promise.resolve(outcome));
    expect(counters).toMatchObject({
      processed: 16,
      failed: 2,
      retried: 2,
      published: 18,
      batches: 2,
    });
  });

  it('in flight - a queue batch holds its messages until it ends; a generator batch holds none', async () => {
    const runs = new BatchRuns(node, [], new NodeCounters(), () => false);
    let finish: (value: BatchOutcome) => void = () => {};
    const pending = new Promise<BatchOutcome>((resolve) => (finish = resolve));
    const running = runs.run(10, 'in', () => pending);
    const generated = runs.run(5, null, () => pending);
    expect(runs.inFlightMessages).toBe(10);
    expect(runs.busy).toBe(true);
    finish(outcome);
    await Promise.all([running, generated]);
    expect(runs.inFlightMessages).toBe(0);
    expect(runs.busy).toBe(false);
  });

  it('abandoned - a batch the node gave up on is not counted; a failed batch frees its slot and rejects', async () => {
    const counters = new NodeCounters();
    let abandoned = false;
    const runs = new BatchRuns(node, [], counters, () => abandoned);
    abandoned = true;
    await runs.run(10, 'in', () => Promise.resolve(outcome));
    expect(counters.batches).toBe(0);
    const failure = new Error('stream failed');
    await expect(runs.run(10, 'in', () => Promise.reject(failure))).rejects.toBe(failure);
    expect(runs.busy).toBe(false);
  });

  it('interceptors - see each batch with its own id, size and queue', async () => {
    const seen: BatchInfo[] = [];
    const runs = new BatchRuns(
      node,
      [{ interceptBatch: (info, next) => (seen.push(info), next()) }],
      new NodeCounters(),
      () => false,
    );
    await runs.run(3, 'in', () => Promise.resolve(outcome));
    await runs.run(2, null, () => Promise.resolve(outcome));
    expect(seen).toEqual([
      { node, batchId: 1, size: 3, queue: 'in' },
      { node, batchId: 2, size: 2, queue: null },
    ]);
  });
});
