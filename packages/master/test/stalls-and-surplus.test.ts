/**
 * Stalls, desired counts and surplus, over real ZeroMQ sockets with FakeWorkers: a worker whose heartbeats report a
 * blocked event loop is `stalled` and keeps its nodes until the stall limit; desired counts change only by request
 * (a restarted master learns them from READYs within its recovery window only); and running counts converge to the
 * desired ones when a lost worker comes back with its nodes or a start given up on turns out to have started.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlRequestError } from '@monomyth/control';
import { InvalidOptionError, compileMasterOptions } from '../src/index.js';
import { Harness, eventually, rebind } from './helpers.js';

let harness: Harness;

afterEach(async () => {
  await harness?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('master - stalled workers', () => {
  it('master - a worker reporting a blocked event loop is stalled, keeps its nodes, gets no new ones, and recovers', async () => {
    // Liveness window 5 x 100 ms = 500 ms; stall limit far away.
    harness = await Harness.start({ stallLimitMs: 60_000 });
    const busy = await harness.worker({ types: ['A'] });
    await harness.client().startNode('A', 2);
    const other = await harness.worker({ types: ['A'] });
    busy.eventLoopLagMs = 2_000;
    const stalled = await eventually(
      () => harness.master.workers().find((worker) => worker.workerId === busy.id),
      (worker) => worker?.state === 'stalled',
    );
    expect(stalled).toMatchObject({ state: 'stalled', eventLoopLagMs: 2_000 });
    // Well past the liveness window: still registered, its nodes not placed again.
    await sleep(800);
    expect(busy.nodes.size).toBe(2);
    expect(other.nodes.size).toBe(0);
    expect(harness.master.recipes()[0]).toMatchObject({ desired: 2, running: 2, outstanding: 0 });
    // New nodes go to the worker that answers, even though it runs fewer.
    await harness.client().startNode('A', 2);
    expect(other.nodes.size).toBe(2);
    expect(busy.nodes.size).toBe(2);
    busy.eventLoopLagMs = 0;
    const recovered = await eventually(
      () => harness.master.workers().find((worker) => worker.workerId === busy.id),
      (worker) => worker?.state === 'active',
    );
    expect(recovered?.eventLoopLagMs).toBe(0);
    expect(busy.nodes.size).toBe(2);
  });

  it('master - a worker stalled past the stall limit is treated as lost and its nodes are placed elsewhere', async () => {
    harness = await Harness.start({ stallLimitMs: 1_000 });
    const busy = await harness.worker({ types: ['A'], reRegister: false });
    await harness.client().startNode('A', 2);
    const other = await harness.worker({ types: ['A'] });
    const stalledAt = Date.now();
    busy.eventLoopLagMs = 600;
    await eventually(
      () => harness.master.workers().find((worker) => worker.workerId === busy.id)?.state,
      (state) => state === 'stalled',
    );
    // Its lag grows as a blocked loop's does, heartbeat by heartbeat.
    const growing = setInterval(() => (busy.eventLoopLagMs += 100), 100);
    try {
      await eventually(
        () => harness.master.workers().map((worker) => worker.workerId),
        (ids) => !ids.includes(busy.id),
        { timeoutMs: 5_000 },
      );
    } finally {
      clearInterval(growing);
    }
    // Not before the stall limit (1 s of stall, which began 600 ms before it was first reported).
    expect(Date.now() - stalledAt).toBeGreaterThanOrEqual(300);
    await eventually(
      () => other.nodes.size,
      (size) => size === 2,
    );
  });

  it('master - a worker lost to the stall limit that registers again still blocked: its own nodes are the surplus drained', async () => {
    harness = await Harness.start({ stallLimitMs: 1_000 });
    const busy = await harness.worker({ types: ['A'] });
    await harness.client().startNode('A', 2);
    const other = await harness.worker({ types: ['A'] });
    const stuck = [...busy.nodes.keys()].sort();
    busy.eventLoopLagMs = 600;
    const growing = setInterval(() => (busy.eventLoopLagMs += 100), 100);
    try {
      // Past the limit its nodes are placed on the other worker; it registers again (NOT_REGISTERED, READY) with
      // them, still blocked: the master takes it back as stalled and stops its nodes, not the replacements.
      const stops = [await busy.next('STOP-NODE'), await busy.next('STOP-NODE')];
      expect(stops.map((stop) => stop.nodeName).sort()).toEqual(stuck);
    } finally {
      clearInterval(growing);
    }
    expect(other.nodes.size).toBe(2);
    const recipe = await eventually(
      () => harness.master.recipes()[0],
      (info) => info?.running === 2 && info.outstanding === 0,
    );
    expect(recipe).toMatchObject({ desired: 2, running: 2 });
  });

  it('master - the stall limit must be longer than the liveness window', () => {
    expect(() =>
      compileMasterOptions({ heartbeatIntervalMs: 1000, heartbeatMisses: 3, stallLimitMs: 3000 }),
    ).toThrow(InvalidOptionError);
    expect(compileMasterOptions({}).stallLimitMs).toBe(300_000);
    // The recovery window: the liveness window, and at least 5 s.
    expect(compileMasterOptions({}).recoveryWindowMs).toBe(5_000);
    expect(
      compileMasterOptions({ heartbeatIntervalMs: 2_000, heartbeatMisses: 5 }).recoveryWindowMs,
    ).toBe(10_000);
  });
});

describe('master - desired counts and surplus', () => {
  it('master - a lost worker that registers again does not raise desired counts; its surplus is drained, newest first', async () => {
    harness = await Harness.start({ heartbeatIntervalMs: 50, heartbeatMisses: 4 });
    const paused = await harness.worker({ types: ['A'] });
    await harness.client().startNode('A', 2);
    const other = await harness.worker({ types: ['A'] });
    const oldNodes = [...paused.nodes.keys()].sort();
    paused.silence();
    await eventually(
      () => other.nodes.size,
      (size) => size === 2,
    );
    const replacements = [...other.nodes.keys()].sort();
    // Back, with the nodes it never stopped: READY lists them.
    await paused.register();
    const recipe = await eventually(
      () => harness.master.recipes()[0],
      (info) => info?.running === 2 && info.outstanding === 0,
    );
    expect(recipe).toMatchObject({ desired: 2, running: 2 });
    // The replacements were the newest: they were drained, and the returning worker's nodes stay.
    expect([...paused.nodes.keys()].sort()).toEqual(oldNodes);
    expect(other.nodes.size).toBe(0);
    const stops = [await other.next('STOP-NODE'), await other.next('STOP-NODE')];
    expect(stops.map((stop) => stop.nodeName).sort()).toEqual(replacements);
  });

  it('master - a start given up on (408) that started after all is drained', async () => {
    harness = await Harness.start({ startTimeoutMs: 200 });
    const slow = await harness.worker({ types: ['A'], startPolicy: () => 'ignore' });
    const failed = await harness
      .client()
      .startNode('A', 1)
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ControlRequestError);
    expect(failed).toMatchObject({ status: 408 });
    const start = await slow.next('START-NODE');
    slow.nodes.set('A:late', { type: 'A', recipe: start.recipe });
    await slow.send({
      kind: 'START-NODE-SUCCESS',
      requestId: start.requestId,
      type: 'A',
      nodeName: 'A:late',
    });
    const stop = await slow.next('STOP-NODE');
    expect(stop.nodeName).toBe('A:late');
    const recipe = await eventually(
      () => harness.master.recipes()[0],
      (info) => info?.running === 0,
    );
    expect(recipe).toMatchObject({ desired: 0, running: 0 });
  });

  it('master - restarted, it learns desired counts from READYs in its recovery window only', async () => {
    harness = await Harness.start({ heartbeatIntervalMs: 50, heartbeatMisses: 3 });
    const endpoint = harness.master.endpoint;
    const early = await harness.worker({ types: ['A'] });
    await harness.client().startNode('A', 2);
    await harness.master.close();
    harness.master = await rebind({
      bind: endpoint,
      heartbeatIntervalMs: 50,
      heartbeatMisses: 3,
      recoveryWindowMs: 1_000,
    });
    await eventually(
      () => harness.master.recipes()[0],
      (info) => info?.running === 2,
    );
    expect(harness.master.recipes()[0]).toMatchObject({ desired: 2 });
    await sleep(1_100);
    // A worker that shows up after the window with nodes of its own: they are surplus.
    const late = await harness.worker({ types: ['A'], reRegister: false });
    late.nodes.set('A:stray', { type: 'A', recipe: { type: 'A' } });
    await late.register();
    await late.next('STOP-NODE');
    expect(harness.master.recipes()[0]).toMatchObject({ desired: 2 });
    expect(early.nodes.size).toBe(2);
  });
});
