/**
 * Overlapped batches (`batchesInFlight` > 1) on the in-memory adapter, with publishes held until the test confirms
 * them: acks follow confirms and go out in delivery order, drain finishes every batch in flight, stop abandons them
 * all, failures stay per message, and `maxUnacked` bounds what is in flight. (The same on RabbitMQ:
 * packages/rmq/test/overlap.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNode,
  defineSystem,
  NonRetryableError,
  StreamFailureError,
  type MemoryStreamAdapter,
  type Node,
} from '../src/index.js';
import { ConfirmingAdapter } from './overlap-helpers.js';
import { openMemory, push, takeValues } from './helpers.js';

const running: Node[] = [];
let memory: MemoryStreamAdapter;

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()));
  await memory?.close();
});

async function setup(): Promise<ConfirmingAdapter> {
  memory = await openMemory();
  return new ConfirmingAdapter(memory);
}

function track(node: Node): Node {
  running.push(node);
  return node;
}

/** Lets pending promise chains and timers of 0 run. */
async function settleDown(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (turn by turn, at most ~2 s) for `condition`. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(condition()).toBe(true);
}

const times10 = (v: number): number => v * 10;

describe('overlapped batches', () => {
  it('overlap - acks wait for their own confirms and go out in delivery order when a later batch is confirmed first', async () => {
    const adapter = await setup();
    const system = defineSystem({
      name: 't',
      nodes: [{ name: 'P', batchSize: 2, batchesInFlight: 3, transform: times10 }],
    });
    const node = track(createNode(system, 'P', { adapter }));
    await node.start();
    await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6]);
    await adapter.whenHeld(3);
    // Three batches published and waiting for their confirms at once.
    expect(adapter.heldCalls).toEqual([1, 2, 3]);
    expect(node.stats().inFlight).toBe(6);
    adapter.confirm(3);
    await settleDown();
    expect(adapter.acked()).toEqual([]);
    adapter.confirm(2);
    await settleDown();
    expect(adapter.acked()).toEqual([]);
    adapter.confirm(1);
    await until(() => adapter.acked().length === 6);
    expect(adapter.acked()).toEqual([1, 2, 3, 4, 5, 6]);
    // Each ack came after the confirm of the publish holding its outputs.
    const confirmed = new Set<number>();
    for (const event of adapter.log) {
      if (event.kind === 'confirm') confirmed.add(event.call);
      if (event.kind === 'ack') {
        const call = Math.ceil((event.values[0] as number) / 2);
        expect(confirmed.has(call)).toBe(true);
      }
    }
    // One ack per batch, in batch order.
    expect(adapter.log.filter((event) => event.kind === 'ack').map((e) => e.values)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(await takeValues(memory, 'P-to-END', 6)).toEqual([10, 20, 30, 40, 50, 60]);
    const stats = node.stats();
    expect(stats).toMatchObject({ processed: 6, batches: 3, published: 6, failed: 0, inFlight: 0 });
    expect(stats.latencyP50Ms).toBeGreaterThanOrEqual(0);
  });

  it('overlap - outputs keep input order when transforms of earlier batches take longer', async () => {
    const adapter = await setup();
    adapter.holding = false;
    const system = defineSystem({
      name: 't',
      nodes: [
        {
          name: 'P',
          batchSize: 2,
          batchesInFlight: 4,
          transform: async (v: number) => {
            // Earlier messages take longer: a younger batch finishes its transforms first.
            await new Promise((resolve) => setTimeout(resolve, v < 4 ? 20 : 0));
            return v;
          },
        },
      ],
    });
    track(await startNode(createNode(system, 'P', { adapter })));
    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    await push(memory, 'START-to-P', input);
    expect(await takeValues(memory, 'P-to-END', 8)).toEqual(input);
    expect(adapter.maxHeld).toBe(0);
    const publishes = adapter.log.filter((event) => event.kind === 'publish');
    expect(publishes.map((event) => event.values).flat()).toEqual(input);
  });

  it('drain - every batch in flight finishes and settles before the node stops', async () => {
    const adapter = await setup();
    const system = defineSystem({
      name: 't',
      nodes: [{ name: 'P', batchSize: 2, batchesInFlight: 3, transform: times10 }],
    });
    const node = track(createNode(system, 'P', { adapter }));
    await node.start();
    await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6]);
    await adapter.whenHeld(3);
    let drained = false;
    const drain = node.drain(10_000).then(() => (drained = true));
    await settleDown();
    expect(drained).toBe(false);
    expect(node.state).toBe('draining');
    adapter.release();
    await drain;
    expect(node.state).toBe('stopped');
    expect(adapter.acked()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await memory.queueStats('START-to-P')).toEqual({ ready: 0, unacked: 0, consumers: 0 });
    expect(await takeValues(memory, 'P-to-END', 6)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(node.stats()).toMatchObject({ processed: 6, batches: 3 });
  });

  it('stop - every batch in flight is abandoned: nothing acked, all redelivered', async () => {
    const adapter = await setup();
    const system = defineSystem({
      name: 't',
      nodes: [{ name: 'P', batchSize: 2, batchesInFlight: 3, transform: times10 }],
    });
    const node = track(createNode(system, 'P', { adapter }));
    await node.start();
    await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6]);
    await adapter.whenHeld(3);
    await node.stop();
    expect(node.state).toBe('stopped');
    expect(await memory.queueStats('START-to-P')).toEqual({ ready: 6, unacked: 0, consumers: 0 });
    adapter.release();
    await settleDown();
    expect(adapter.acked()).toEqual([]);
    expect(node.stats()).toMatchObject({ processed: 0, batches: 0, inFlight: 0 });
  });

  it('maxUnacked - bounds the batches in flight below batchesInFlight', async () => {
    const adapter = await setup();
    const system = defineSystem({
      name: 't',
      nodes: [{ name: 'P', batchSize: 2, batchesInFlight: 8, maxUnacked: 4, transform: times10 }],
    });
    const node = track(createNode(system, 'P', { adapter }));
    await node.start();
    await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await adapter.whenHeld(2);
    await settleDown();
    expect(adapter.heldCalls).toEqual([1, 2]);
    expect((await memory.queueStats('START-to-P')).unacked).toBe(4);
    adapter.release();
    expect(await takeValues(memory, 'P-to-END', 10)).toHaveLength(10);
    expect(adapter.maxHeld).toBe(2);
    await node.drain(5000);
    expect(node.stats()).toMatchObject({ processed: 10, batches: 5 });
  });

  it('failures - fail queue, filters, fan-out and held retries stay per message with batches in flight', async () => {
    const adapter = await setup();
    adapter.holding = false;
    const attempts = new Map<number, number>();
    const system = defineSystem({
      name: 't',
      nodes: [
        {
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
        },
      ],
    });
    const node = track(createNode(system, 'P', { adapter }));
    await node.start();
    await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6, 7, 8]);
    const out = (await takeValues(memory, 'P-to-END', 7)) as number[];
    expect([...out].sort((a, b) => a - b)).toEqual([10, 20, 50, 51, 60, 70, 80]);
    const failed = await takeValues(memory, 'P-fail', 1);
    expect(failed).toEqual([3]);
    await node.drain(5000);
    expect(node.stats()).toMatchObject({ failed: 1, retried: 1, processed: 7, published: 7 });
    expect(await memory.queueStats('START-to-P')).toEqual({ ready: 0, unacked: 0, consumers: 0 });
  });

  it('stream - a failed publish among batches in flight fails the node and loses nothing', async () => {
    const adapter = await setup();
    const system = defineSystem({
      name: 't',
      nodes: [{ name: 'P', batchSize: 2, batchesInFlight: 3, transform: times10 }],
    });
    const node = track(createNode(system, 'P', { adapter }));
    await node.start();
    await push(memory, 'START-to-P', [1, 2, 3, 4, 5, 6]);
    await adapter.whenHeld(3);
    adapter.confirm(1);
    adapter.fail(2);
    const error: unknown = await node.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamFailureError);
    expect(node.state).toBe('failed');
    adapter.release();
    await settleDown();
    // Batch 1 was confirmed and acked; batch 2 went back; nothing was acked out of order or before its confirm.
    const acked = adapter.acked();
    expect(acked.slice(0, 2)).toEqual([1, 2]);
    expect(acked).not.toContain(3);
    expect(acked).not.toContain(4);
    const stats = await memory.queueStats('START-to-P');
    expect(stats.unacked).toBe(0);
    // Every input is back in its queue or was acked after its output was stored: nothing lost (an ack on the closed
    // consumer is refused, and its message comes back too: a duplicate, which at-least-once allows).
    const back = (await takeValues(memory, 'START-to-P', stats.ready)) as number[];
    expect(back).toEqual(expect.arrayContaining([3, 4]));
    expect(new Set([...back, ...(acked as number[])])).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  });
});

async function startNode(node: Node): Promise<Node> {
  await node.start();
  return node;
}
