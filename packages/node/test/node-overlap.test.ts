/**
 * Overlapped batches (`batchesInFlight` > 1) on the in-memory adapter, with publishes held until the test confirms
 * them: acks follow confirms and go out in delivery order, drain finishes every batch in flight, stop abandons them
 * all, failures stay per message, and `maxUnacked` bounds what is in flight. Once through an adapter without ordered
 * lanes (a node publishes one call at a time), once through one with them (`OrderedPublishCapable`: each batch
 * publishes without waiting for the confirms before it, so several publishes wait at once). (The same on RabbitMQ:
 * packages/rmq/test/overlap.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNode, NonRetryableError, StreamFailureError, type Node } from '../src/index.js';
import type { MemoryStreamAdapter } from '../src/memory/index.js';
import { ConfirmingAdapter, LaneConfirmingAdapter, settleDown, until } from './overlap-helpers.js';
import { nodeTracker, openMemory, push, soloSystem, takeValues } from './helpers.js';

const { started, stopAll } = nodeTracker();
let memory: MemoryStreamAdapter;

afterEach(async () => {
  await stopAll();
  await memory?.close();
});

async function setup<A extends ConfirmingAdapter>(
  Confirming: new (inner: MemoryStreamAdapter) => A = ConfirmingAdapter as never,
): Promise<A> {
  memory = await openMemory();
  return new Confirming(memory);
}

const KINDS = [
  ['one call at a time', ConfirmingAdapter],
  ['through a lane', LaneConfirmingAdapter],
] as const;

const times10 = (v: number): number => v * 10;

/**
 * Confirms publish 1 and, once `firstSettled`, fails publish 2: the node fails with a `StreamFailureError`. Then
 * every publish still held is let go.
 */
async function failTheSecondPublish(
  adapter: ConfirmingAdapter,
  node: Node,
  firstSettled: () => boolean,
): Promise<void> {
  adapter.confirm(1);
  await until(firstSettled);
  adapter.fail(2);
  const error: unknown = await node.run().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StreamFailureError);
  expect(node.state).toBe('failed');
  adapter.release();
  await settleDown();
}

/**
 * Node P (batches of 2, 3 in flight) fed 1 to 6, once all three batches are in flight: the first published and
 * waiting for its confirm, the next two transformed and queued.
 */
async function threeBatchesInFlight(): Promise<{ adapter: ConfirmingAdapter; node: Node }> {
  const adapter = await setup();
  const system = soloSystem({ name: 'P', batchSize: 2, batchesInFlight: 3, transform: times10 });
  const node = await started(createNode(system, 'P', { adapter }));
  await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6]);
  await adapter.whenHeld(1);
  await until(() => node.stats().inFlight === 6);
  return { adapter, node };
}

/** Three batches in flight: published one call at a time, or each on the node's lane. */
const THREE_BATCHES = [
  ['one call at a time', threeBatchesInFlight],
  ['through a lane', threeBatchesPublished],
] as const;

describe('overlapped batches', () => {
  it('overlap - while a publish waits for its confirms the next batches are transformed; acks follow confirms, in delivery order', async () => {
    const { adapter, node } = await threeBatchesInFlight();
    expect(adapter.heldCalls).toEqual([1]);
    expect(adapter.acked()).toEqual([]);
    adapter.confirm(1);
    // Only the confirmed batch is acked; the two queued ones go out together, in one call, in order.
    await until(() => adapter.heldCalls.length === 1 && adapter.heldCalls[0] === 2);
    expect(adapter.acked()).toEqual([1, 2]);
    const publishes = adapter.log.filter((event) => event.kind === 'publish');
    expect(publishes.map((event) => event.values)).toEqual([
      [10, 20],
      [30, 40, 50, 60],
    ]);
    adapter.confirm(2);
    await until(() => adapter.acked().length === 6);
    expect(adapter.acked()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(adapter.maxHeld).toBe(1);
    // Each ack came after the confirm of the publish holding its outputs.
    const confirmed = new Set<number>();
    for (const event of adapter.log) {
      if (event.kind === 'confirm') confirmed.add(event.call);
      if (event.kind === 'ack') {
        const call = (event.values[0] as number) <= 2 ? 1 : 2;
        expect(confirmed.has(call)).toBe(true);
      }
    }
    // One ack per batch, in batch order.
    expect(adapter.log.flatMap((event) => (event.kind === 'ack' ? [event.values] : []))).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(await takeValues(memory, 'P-to-END', 6)).toEqual([10, 20, 30, 40, 50, 60]);
    const stats = node.stats();
    expect(stats).toMatchObject({ processed: 6, batches: 3, published: 6, failed: 0, inFlight: 0 });
    expect(stats.latencyP50Ms).toBeGreaterThanOrEqual(0);
  });

  it.each(KINDS)(
    'overlap - outputs keep input order when transforms of earlier batches take longer (%s)',
    async (_, kind) => {
      const adapter = await setup(kind);
      adapter.holding = false;
      const system = soloSystem({
        name: 'P',
        batchSize: 2,
        batchesInFlight: 4,
        transform: async (v: number) => {
          // Earlier messages take longer: a younger batch finishes its transforms first.
          await new Promise((resolve) => setTimeout(resolve, v < 4 ? 20 : 0));
          return v;
        },
      });
      await started(createNode(system, 'P', { adapter }));
      const input = [1, 2, 3, 4, 5, 6, 7, 8];
      await push(memory, 'START-to-P', input);
      expect(await takeValues(memory, 'P-to-END', 8)).toEqual(input);
      expect(adapter.maxHeld).toBe(0);
      const publishes = adapter.log.filter((event) => event.kind === 'publish');
      expect(publishes.map((event) => event.values).flat()).toEqual(input);
    },
  );

  it.each(THREE_BATCHES)(
    'drain - every batch in flight finishes and settles before the node stops, then the lane closes (%s)',
    async (_, threeBatches) => {
      const { adapter, node } = await threeBatches();
      const lane = adapter instanceof LaneConfirmingAdapter ? adapter : undefined;
      let drained = false;
      const drain = node.drain(10_000).then(() => (drained = true));
      await settleDown();
      expect(drained).toBe(false);
      expect(node.state).toBe('draining');
      if (lane) expect(lane.lanesClosed).toBe(0);
      adapter.release();
      await drain;
      expect(node.state).toBe('stopped');
      expect(adapter.acked()).toEqual([1, 2, 3, 4, 5, 6]);
      if (lane) expect(lane.lanesClosed).toBe(1);
      expect(await memory.queueStats('START-to-P')).toEqual({ ready: 0, unacked: 0, consumers: 0 });
      expect(await takeValues(memory, 'P-to-END', 6)).toEqual([10, 20, 30, 40, 50, 60]);
      expect(node.stats()).toMatchObject({ processed: 6, batches: 3 });
    },
  );

  it.each(THREE_BATCHES)(
    'stop - every batch in flight is abandoned: nothing acked, all redelivered, the lane closed (%s)',
    async (_, threeBatches) => {
      const { adapter, node } = await threeBatches();
      await node.stop();
      expect(node.state).toBe('stopped');
      expect(await memory.queueStats('START-to-P')).toEqual({ ready: 6, unacked: 0, consumers: 0 });
      adapter.release();
      await settleDown();
      expect(adapter.acked()).toEqual([]);
      expect(node.stats()).toMatchObject({ processed: 0, batches: 0, inFlight: 0 });
      // The abandoned batches end once their publishes do; then the loop ends and closes its lane.
      if (adapter instanceof LaneConfirmingAdapter) await until(() => adapter.lanesClosed === 1);
    },
  );

  it('maxUnacked - bounds the batches in flight below batchesInFlight', async () => {
    const adapter = await setup();
    const system = soloSystem({
      name: 'P',
      batchSize: 2,
      batchesInFlight: 8,
      maxUnacked: 4,
      transform: times10,
    });
    const node = await started(createNode(system, 'P', { adapter }));
    await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await adapter.whenHeld(1);
    await until(() => node.stats().inFlight === 4);
    await settleDown();
    // Two batches in flight, not eight: maxUnacked is 4.
    expect(node.stats().inFlight).toBe(4);
    expect((await memory.queueStats('START-to-P')).unacked).toBe(4);
    adapter.release();
    expect(await takeValues(memory, 'P-to-END', 10)).toHaveLength(10);
    await node.drain(5000);
    expect(node.stats()).toMatchObject({ processed: 10, batches: 5 });
  });

  it.each(KINDS)(
    'failures - fail queue, filters, fan-out and held retries stay per message with batches in flight (%s)',
    async (_, kind) => {
      const adapter = await setup(kind);
      adapter.holding = false;
      const attempts = new Map<number, number>();
      const system = soloSystem({
        name: 'P',
        batchSize: 2,
        batchesInFlight: 4,
        retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 5, jitter: 0 },
        transform: (v: number) => {
          attempts.set(v, (attempts.get(v) ?? 0) + 1);
          if (v === 3) throw new NonRetryableError('three is bad');
          if (v === 4) return undefined; // filtered
          if (v === 5) return [50, 51]; // fan-out
          if (v === 6 && attempts.get(6) === 1) throw new Error('once'); // retried (held: no retryLater)
          return v * 10;
        },
      });
      const node = await started(createNode(system, 'P', { adapter }));
      await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6, 7, 8]);
      const out = (await takeValues(memory, 'P-to-END', 7)) as number[];
      expect([...out].sort((a, b) => a - b)).toEqual([10, 20, 50, 51, 60, 70, 80]);
      const failed = await takeValues(memory, 'P-fail', 1);
      expect(failed).toEqual([3]);
      await node.drain(5000);
      expect(node.stats()).toMatchObject({ failed: 1, retried: 1, processed: 7, published: 7 });
      expect(await memory.queueStats('START-to-P')).toEqual({ ready: 0, unacked: 0, consumers: 0 });
    },
  );

  it('stream - a failed publish among batches in flight fails the node and loses nothing', async () => {
    const { adapter, node } = await threeBatchesInFlight();
    await failTheSecondPublish(adapter, node, () => adapter.heldCalls[0] === 2);
    // Batch 1 was confirmed and acked; batches 2 and 3, published together, went back.
    const acked = adapter.acked();
    expect(acked).toEqual([1, 2]);
    const stats = await memory.queueStats('START-to-P');
    expect(stats.unacked).toBe(0);
    // Every input is back in its queue or was acked after its output was stored: nothing lost.
    const back = (await takeValues(memory, 'START-to-P', stats.ready)) as number[];
    expect([...back].sort()).toEqual([3, 4, 5, 6]);
  });
});

/** Node P (batches of 2, 3 in flight) fed 1 to 6, once all three batches have published and wait for confirms. */
async function threeBatchesPublished(): Promise<{ adapter: LaneConfirmingAdapter; node: Node }> {
  const adapter = await setup(LaneConfirmingAdapter);
  const system = soloSystem({ name: 'P', batchSize: 2, batchesInFlight: 3, transform: times10 });
  const node = await started(createNode(system, 'P', { adapter }));
  await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6]);
  await adapter.whenHeld(3);
  return { adapter, node };
}

/** The acks made, one entry per call. */
function ackCalls(adapter: LaneConfirmingAdapter): unknown[][] {
  return adapter.log.flatMap((event) => (event.kind === 'ack' ? [event.values] : []));
}

describe('overlapped batches through an ordered lane', () => {
  it('lane - every batch publishes without waiting for the confirms before it; acks follow confirms, in delivery order', async () => {
    const { adapter, node } = await threeBatchesPublished();
    expect(adapter.lanes).toBe(1);
    expect(adapter.heldCalls).toEqual([1, 2, 3]);
    const publishes = adapter.log.filter((event) => event.kind === 'publish');
    expect(publishes.map((event) => event.values)).toEqual([
      [10, 20],
      [30, 40],
      [50, 60],
    ]);
    // The youngest batch is confirmed first: it waits for its elders.
    adapter.confirm(3);
    await settleDown();
    expect(adapter.acked()).toEqual([]);
    // The oldest: acked alone, the middle one still unconfirmed holds the youngest back.
    adapter.confirm(1);
    await until(() => adapter.acked().length === 2);
    await settleDown();
    expect(adapter.acked()).toEqual([1, 2]);
    adapter.confirm(2);
    await until(() => adapter.acked().length === 6);
    expect(ackCalls(adapter)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(adapter.maxHeld).toBe(3);
    expect(await takeValues(memory, 'P-to-END', 6)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(node.stats()).toMatchObject({ processed: 6, batches: 3, published: 6, inFlight: 0 });
  });

  it('stream - a failed publish among lane calls fails the node and loses nothing', async () => {
    const { adapter, node } = await threeBatchesPublished();
    await failTheSecondPublish(adapter, node, () => adapter.acked().length === 2);
    // Batch 1 was confirmed and acked; batch 2 failed and was not acked. Batch 3, its outputs confirmed after the
    // failure, may have been acked before the consumer closed (its outputs are durable) or gone back: not lost.
    const acked = adapter.acked();
    expect(acked.slice(0, 2)).toEqual([1, 2]);
    expect(acked).not.toContain(3);
    expect(acked).not.toContain(4);
    const stats = await memory.queueStats('START-to-P');
    expect(stats.unacked).toBe(0);
    const back = (await takeValues(memory, 'START-to-P', stats.ready)) as number[];
    expect(back).toEqual(expect.arrayContaining([3, 4]));
    expect(new Set([...acked, ...back])).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    await until(() => adapter.lanesClosed === 1);
  });
});
