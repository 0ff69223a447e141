/**
 * Heartbeats that repeat their worker's last one byte for byte are answered without being decoded
 * (repeated-heartbeat.ts). Over a real ROUTER, from fake workers: the master must behave exactly as if it had decoded
 * them, which these tests check where a shortcut could differ (liveness, counters, the master's own node changes, the
 * freshness of queue counts), and count them in `monomyth_mmop_heartbeats_repeated_total`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freshNodeStatus } from '@monomyth/mmop';
import type { MessageOf } from '@monomyth/mmop';
import { Harness, eventually } from './helpers.js';
import type { FakeWorker } from './fake-worker.js';

let harness: Harness;
afterEach(() => harness.close());

async function startHarness(): Promise<Harness> {
  harness = await Harness.start({ http: { host: '127.0.0.1', port: 0 } });
  return harness;
}

/** A counter of the master's /metrics, summed over its series (0 when absent). */
async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${harness.master.httpUrl!}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{${labels}`) || line.startsWith(`${name} `))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const repeated = (): Promise<number> => metric('monomyth_mmop_heartbeats_repeated_total');

function heartbeat(worker: FakeWorker, processed: number): MessageOf<'HEARTBEAT'> {
  return {
    kind: 'HEARTBEAT',
    masterEpoch: worker.epoch,
    nodes: [{ ...freshNodeStatus('A-1', 'A', 'running'), processed }],
  };
}

/** Sends a heartbeat and waits for its ack, so that the master has handled it. */
async function beat(worker: FakeWorker, message: MessageOf<'HEARTBEAT'>): Promise<void> {
  const acked = worker.next('HEARTBEAT-ACK');
  await worker.send(message);
  await acked;
}

/** A moment, so that reports sent one after the other carry different times. */
const pause = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 5));

/**
 * Two silent workers of the harness's master that read queue `A.in`, and the heartbeat with which one reports `ready`
 * messages there.
 */
async function twoReadersOfOneQueue(): Promise<{
  x: FakeWorker;
  y: FakeWorker;
  reporting: (worker: FakeWorker, ready: number) => MessageOf<'HEARTBEAT'>;
}> {
  const x = await harness.worker({ types: ['A'] });
  const y = await harness.worker({ types: ['A'] });
  x.silence();
  y.silence();
  const reporting = (worker: FakeWorker, ready: number): MessageOf<'HEARTBEAT'> => ({
    kind: 'HEARTBEAT',
    masterEpoch: worker.epoch,
    nodes: [],
    queues: [{ queue: 'A.in', ready, unacked: 0, consumers: 2 }],
  });
  return { x, y, reporting };
}

describe('master - repeated heartbeats', () => {
  it('repeat - an idle worker repeating its heartbeat stays registered past the liveness window, acked every time', async () => {
    await startHarness();
    const worker = await harness.worker({ types: ['A'], reRegister: false });
    // The fake worker heartbeats every 100 ms with the same bytes; the liveness window is 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const [info] = harness.master.workers();
    expect(info?.workerId).toBe(worker.id);
    expect(info?.lastSeenMsAgo).toBeLessThan(500);
    expect(await repeated()).toBeGreaterThanOrEqual(5);
    const kinds = worker.received.map((message) => message.kind);
    expect(kinds.filter((kind) => kind === 'HEARTBEAT-ACK').length).toBeGreaterThanOrEqual(9);
    // Nothing but acks: no ERROR NOT_REGISTERED (a worker taken for lost).
    expect(kinds.filter((kind) => kind !== 'HEARTBEAT-ACK')).toEqual([]);
  });

  it('repeat - new counters are taken in once; their repeat is counted as repeated and adds nothing', async () => {
    await startHarness();
    const worker = harness.unregistered({ types: ['A'] });
    worker.nodes.set('A-1', { type: 'A', recipe: { type: 'A' } });
    await worker.register();
    worker.silence();
    await beat(worker, heartbeat(worker, 7));
    const before = await repeated();
    await beat(worker, heartbeat(worker, 7));
    await beat(worker, heartbeat(worker, 7));
    expect(await repeated()).toBe(before + 2);
    expect(await metric('monomyth_messages_processed_total', 'type="A"')).toBe(7);
    await beat(worker, heartbeat(worker, 12));
    expect(await repeated()).toBe(before + 2);
    expect(harness.master.workers()[0]?.nodes[0]).toMatchObject({ name: 'A-1', processed: 12 });
    expect(await metric('monomyth_messages_processed_total', 'type="A"')).toBe(12);
  });

  it("repeat - after the master changes a worker's nodes itself, the next heartbeat is taken in in full even when its bytes repeat", async () => {
    await startHarness();
    const worker = harness.unregistered({ types: ['A'] });
    worker.nodes.set('A-1', { type: 'A', recipe: { type: 'A' } });
    await worker.register();
    worker.silence();
    const stale = heartbeat(worker, 3);
    await beat(worker, stale);
    // The node ends: the master takes it off the worker's list.
    await worker.send({
      kind: 'NODE-EXITED',
      nodeName: 'A-1',
      type: 'A',
      reason: 'done',
      restarting: false,
      completed: true,
    });
    await eventually(
      () => harness.master.workers()[0]?.nodes.length,
      (count) => count === 0,
    );
    // A heartbeat sent before the exit arrives after it, the same bytes as the last one: decoded and taken in, as any
    // heartbeat's full list of nodes is (the one after it corrects the list again).
    const before = await repeated();
    await beat(worker, stale);
    expect(harness.master.workers()[0]?.nodes.map((node) => node.name)).toEqual(['A-1']);
    expect(await repeated()).toBe(before);
  });

  it('repeat - a repeated heartbeat carrying queue counts makes them the newest report again', async () => {
    await startHarness();
    const { x, y, reporting } = await twoReadersOfOneQueue();
    await beat(x, reporting(x, 5));
    await pause();
    await beat(y, reporting(y, 9));
    expect(harness.master.queueBacklog()[0]?.ready).toBe(9);
    await pause();
    const before = await repeated();
    await beat(x, reporting(x, 5));
    expect(await repeated()).toBe(before + 1);
    expect(harness.master.queueBacklog()[0]?.ready).toBe(5);
  });

  it('repeat - with a counters interval, a repeat keeps its queue counts as old as they are: a fresher report stays', async () => {
    harness = await Harness.start({ countersIntervalMs: 2000 });
    const { x, y, reporting } = await twoReadersOfOneQueue();
    await beat(x, reporting(x, 5));
    await pause();
    await beat(y, reporting(y, 9));
    await pause();
    // x's repeat may carry counts up to 2 s old: y's, read after them, stay the newest.
    await beat(x, reporting(x, 5));
    expect(harness.master.queueBacklog()[0]?.ready).toBe(9);
  });

  it('counters interval - REGISTERED tells workers how often counters must come: every heartbeat unless set', async () => {
    await startHarness();
    const plain = harness.unregistered({ types: ['A'] });
    expect(await plain.register()).toMatchObject({
      heartbeatIntervalMs: 100,
      countersIntervalMs: 100,
    });
    await harness.close();
    harness = await Harness.start({ countersIntervalMs: 2000 });
    const worker = harness.unregistered({ types: ['A'] });
    expect(await worker.register()).toMatchObject({
      heartbeatIntervalMs: 100,
      countersIntervalMs: 2000,
    });
  });
});
