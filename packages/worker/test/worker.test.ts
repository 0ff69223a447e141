/**
 * The worker with the real master and control client over ZeroMQ, nodes on the in-memory adapter (the broker is not
 * the point here): registration, data through started nodes, heartbeats with counters, refusals with categories,
 * crash loops placed elsewhere, drain on SHUTDOWN, and re-registration with a restarted master.
 */
import { describe, expect, it } from 'vitest';
import { ControlClient } from '@monomyth/control';
import { Master } from '@monomyth/master';
import type { MasterOptions } from '@monomyth/master';
import type { MmopMessage } from '@monomyth/mmop';
import { defineSystem } from '@monomyth/node';
import { MemoryBroker } from '@monomyth/node/memory';
import type { System } from '@monomyth/node';
import { eventually } from '@monomyth/testing';
import type { Worker } from '../src/index.js';
import {
  cleanupsAfterEach,
  collect,
  fakeMaster,
  publish,
  startWorker as startTestWorker,
} from './helpers.js';
import type { WorkerOptions } from '../src/index.js';

const defer = cleanupsAfterEach();

async function startMaster(bind = 'tcp://127.0.0.1:*'): Promise<Master> {
  const master = await Master.create({
    bind,
    heartbeatIntervalMs: 100,
    heartbeatMisses: 5,
    startTimeoutMs: 3000,
  });
  defer(() => master.close());
  return master;
}

/** A worker of `system` for `master`, on `broker`, that drains for up to 2 s (500 ms when the test is over). */
function startWorker(
  master: string,
  system: System,
  broker: MemoryBroker,
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return startTestWorker(defer, { master, system, drainTimeoutMs: 2000, ...options }, broker);
}

function client(master: Master): ControlClient {
  const control = new ControlClient({ master: master.endpoint, timeoutMs: 5000 });
  defer(() => control.close());
  return control;
}

const doubling = defineSystem({
  name: 'doubling',
  nodes: [{ name: 'DOUBLE', batchSize: 10, batchTimeoutMs: 10, transform: (n: number) => n * 2 }],
});

/**
 * A master with `--http` and one worker of `doubling` registered with it, and a reader of the master's count of
 * heartbeats it took as repeats (monomyth_mmop_heartbeats_repeated_total).
 */
async function startWithRepeatCount(options: Pick<MasterOptions, 'countersIntervalMs'>): Promise<{
  master: Master;
  broker: MemoryBroker;
  repeated: () => Promise<number>;
}> {
  const master = await Master.create({
    bind: 'tcp://127.0.0.1:*',
    heartbeatIntervalMs: 100,
    heartbeatMisses: 5,
    http: { host: '127.0.0.1', port: 0 },
    ...options,
  });
  defer(() => master.close());
  const repeated = async (): Promise<number> => {
    const text = await (await fetch(`${master.httpUrl!}/metrics`)).text();
    return Number(/^monomyth_mmop_heartbeats_repeated_total (\d+)$/m.exec(text)?.[1] ?? NaN);
  };
  const broker = new MemoryBroker();
  await startWorker(master.endpoint, doubling, broker);
  await eventually(
    () => master.workers(),
    (workers) => workers.length === 1,
  );
  return { master, broker, repeated };
}

describe('worker with a master', () => {
  it('worker - registers with its types; a started node moves data; heartbeats carry its counters', async () => {
    const master = await startMaster();
    const broker = new MemoryBroker();
    const worker = await startWorker(master.endpoint, doubling, broker);
    const listed = await eventually(
      () => master.workers(),
      (workers) => workers.length === 1,
    );
    expect(listed[0]).toMatchObject({ workerId: worker.id, types: ['DOUBLE'] });
    await eventually(
      () => worker.state,
      (state) => state === 'registered',
    );

    const started = await client(master).startNode('DOUBLE', 2);
    expect(started.started).toHaveLength(2);
    await publish(
      broker,
      'START-to-DOUBLE',
      Array.from({ length: 50 }, (_, i) => i),
    );
    const doubled = (await collect(broker, 'DOUBLE-to-END', 50)) as number[];
    expect(doubled.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));

    const nodes = await eventually(
      () => master.workers()[0]?.nodes ?? [],
      (statuses) => statuses.reduce((sum, status) => sum + status.processed, 0) === 50,
    );
    expect(nodes.map((status) => status.state)).toEqual(['running', 'running']);
  });

  it("worker - an idle worker's heartbeats repeat byte for byte, so the master takes them without decoding", async () => {
    const { master, broker, repeated } = await startWithRepeatCount({});
    await client(master).startNode('DOUBLE', 2);
    await publish(
      broker,
      'START-to-DOUBLE',
      Array.from({ length: 50 }, (_, i) => i),
    );
    await collect(broker, 'DOUBLE-to-END', 50);
    // Once the counters (and the queue counts the heartbeats carry) have settled, the heartbeats stop changing.
    await eventually(
      () => master.workers()[0]?.nodes ?? [],
      (statuses) => statuses.reduce((sum, status) => sum + status.processed, 0) === 50,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await repeated();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // About 10 heartbeats in a second: most of them repeat the one before.
    expect((await repeated()) - before).toBeGreaterThanOrEqual(7);
  });

  it('worker - with a counters interval, busy heartbeats repeat between counter reports; node changes go at once', async () => {
    const { master, broker, repeated } = await startWithRepeatCount({ countersIntervalMs: 4000 });
    // A new node is in the next heartbeat, not the next counter report (up to 4 s away): running, not the master's
    // placeholder. Twice, so that a worker waiting for its counter report would rarely pass by chance.
    for (let count = 1; count <= 2; count++) {
      await client(master).startNode('DOUBLE', 1);
      const startedAt = Date.now();
      await eventually(
        () => master.workers()[0]?.nodes ?? [],
        (statuses) =>
          statuses.length === count && statuses.every((status) => status.state === 'running'),
      );
      expect(Date.now() - startedAt).toBeLessThan(1000);
    }

    // Busy: a message every 20 ms for a second and a half. The counters move all along, yet most heartbeats repeat.
    const before = await repeated();
    for (let i = 0; i < 75; i++) {
      await publish(broker, 'START-to-DOUBLE', [i]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await repeated()) - before).toBeGreaterThanOrEqual(8);
    // Every message is counted by the next report: within one counters interval of the last.
    await collect(broker, 'DOUBLE-to-END', 75);
    await eventually(
      () => master.workers()[0]?.nodes ?? [],
      (statuses) => statuses.reduce((sum, status) => sum + status.processed, 0) === 75,
      { timeoutMs: 6000 },
    );
  });

  it('worker - a node crash-looping past its budget is reported exited and placed on another worker', async () => {
    const master = await startMaster();
    const broker = new MemoryBroker();
    let flakyWorker = '';
    const system = defineSystem({
      name: 'flaky',
      nodes: [
        {
          name: 'TICK',
          dest: 'ticks',
          batchTimeoutMs: 10,
          // Fails at once on one worker; elsewhere, yields until stopped.
          async *generate(ctx) {
            if (ctx.node.worker === flakyWorker) throw new Error('this host has no clock');
            while (!ctx.signal.aborted) {
              yield Date.now();
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          },
        },
      ],
    });
    const restart = { initialDelayMs: 10, maxDelayMs: 20, maxRestarts: 2, windowMs: 10_000 };
    const flaky = await startWorker(master.endpoint, system, broker, { restart });
    flakyWorker = flaky.id;
    await eventually(
      () => master.workers(),
      (workers) => workers.length === 1,
    );
    // The start itself succeeds: the generator fails in its loop, after start.
    await client(master).startNode('TICK', 1);
    const healthy = await startWorker(master.endpoint, system, broker, { restart });
    await eventually(
      () => master.workers().find((info) => info.workerId === healthy.id)?.nodes.length ?? 0,
      (count) => count === 1,
    );
    expect(flaky.nodes()).toEqual([]);
    // Placed again on the flaky worker too if the healthy one registered late: at least one exit, and it ends healthy.
    expect(master.recipes()[0]).toMatchObject({ type: 'TICK', desired: 1, running: 1 });
    expect(master.recipes()[0]?.failed).toBeGreaterThanOrEqual(1);
  });

  it('worker - SHUTDOWN drains its nodes and says BYE; the master removes it', async () => {
    const master = await startMaster();
    const broker = new MemoryBroker();
    const worker = await startWorker(master.endpoint, doubling, broker);
    await eventually(
      () => master.workers(),
      (workers) => workers.length === 1,
    );
    await client(master).startNode('DOUBLE', 1);
    await publish(broker, 'START-to-DOUBLE', [1, 2, 3]);
    await collect(broker, 'DOUBLE-to-END', 3);
    const answer = await client(master).stopWorker(worker.id, { drainTimeoutMs: 1000 });
    expect(answer).toEqual({ workerId: worker.id });
    await worker.run();
    expect(worker.state).toBe('stopped');
    expect(master.workers()).toEqual([]);
    // Nothing was left unacknowledged to come back.
    expect(broker.queue('START-to-DOUBLE')?.stats()).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('worker - a drain longer than the liveness window keeps it registered until its BYE', async () => {
    const master = await startMaster();
    const broker = new MemoryBroker();
    const slow = defineSystem({
      name: 'slow',
      nodes: [
        {
          name: 'SLOW',
          batchSize: 1,
          transform: async (n: number) => {
            await new Promise((resolve) => setTimeout(resolve, 1500));
            return n;
          },
        },
      ],
    });
    const worker = await startWorker(master.endpoint, slow, broker, { drainTimeoutMs: 5000 });
    await eventually(
      () => master.workers(),
      (workers) => workers.length === 1,
    );
    await client(master).startNode('SLOW', 1);
    await publish(broker, 'START-to-SLOW', [7]);
    await eventually(
      () => worker.nodes()[0]?.inFlight ?? 0,
      (inFlight) => inFlight === 1,
    );

    const stopping = client(master).stopWorker(worker.id, { drainTimeoutMs: 5000 });
    // The liveness window is 5 x 100 ms; well past it, the draining worker is still known to the master.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(master.workers()).toEqual([
      expect.objectContaining({ workerId: worker.id, state: 'draining' }),
    ]);
    expect(await stopping).toEqual({ workerId: worker.id });
    expect(await collect(broker, 'SLOW-to-END', 1)).toEqual([7]);
    expect(broker.queue('START-to-SLOW')?.stats()).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('worker - its nodes keep running while the master restarts, and it registers again with them', async () => {
    const first = await Master.create({
      bind: 'tcp://127.0.0.1:*',
      heartbeatIntervalMs: 100,
      heartbeatMisses: 3,
    });
    const endpoint = first.endpoint;
    const broker = new MemoryBroker();
    const worker = await startWorker(endpoint, doubling, broker);
    await eventually(
      () => first.workers(),
      (workers) => workers.length === 1,
    );
    const control = new ControlClient({ master: endpoint, timeoutMs: 5000 });
    await control.startNode('DOUBLE', 1);
    control.close();
    const [node] = worker.nodes();
    await first.close();
    // Data still flows with no master at all.
    await publish(broker, 'START-to-DOUBLE', [21]);
    expect(await collect(broker, 'DOUBLE-to-END', 1)).toEqual([42]);

    let second: Master | undefined;
    for (let attempt = 0; !second; attempt++) {
      second = await Master.create({
        bind: endpoint,
        heartbeatIntervalMs: 100,
        heartbeatMisses: 3,
      }).catch((error: unknown) => {
        if (attempt > 50) throw error;
        return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20));
      });
    }
    const restarted = second;
    defer(() => restarted.close());
    const listed = await eventually(
      () => restarted.workers(),
      (workers) => workers[0]?.nodes.length === 1,
    );
    expect(listed[0]?.nodes[0]?.name).toBe(node?.name);
    await eventually(
      () => worker.masterEpoch,
      (epoch) => epoch === restarted.epoch,
    );
    expect(restarted.recipes()[0]).toMatchObject({ type: 'DOUBLE', desired: 1, running: 1 });
  });
});

describe('worker refusals', () => {
  it('worker - an unknown type and an invalid recipe are refused with their categories, and the worker goes on', async () => {
    const master = await fakeMaster(defer);
    await startWorker(master.endpoint, doubling, new MemoryBroker());
    const { receive, send } = master;
    const identity = await master.register({
      workerId: 'w',
      heartbeatIntervalMs: 1000,
      heartbeatMisses: 3,
      masterEpoch: 'e1',
    });
    const answerTo = async (requestId: string): Promise<MmopMessage> => {
      for (;;) {
        const { message } = await receive();
        if ('requestId' in message && message.requestId === requestId) return message;
      }
    };
    await send(identity, {
      kind: 'START-NODE',
      requestId: 'r1',
      recipe: { type: 'NOPE' },
    });
    const unknown = await answerTo('r1');
    expect(unknown).toMatchObject({ kind: 'START-NODE-FAILURE', category: 'unknown-type' });
    expect((unknown as { reason: string }).reason).toContain('DOUBLE');

    await send(identity, {
      kind: 'START-NODE',
      requestId: 'r2',
      recipe: { type: 'DOUBLE', batchSize: -1 },
    });
    expect(await answerTo('r2')).toMatchObject({
      kind: 'START-NODE-FAILURE',
      category: 'invalid-recipe',
    });

    await send(identity, {
      kind: 'STOP-NODE',
      requestId: 'r3',
      nodeName: 'DOUBLE:nobody',
      drainTimeoutMs: 100,
    });
    expect(await answerTo('r3')).toMatchObject({
      kind: 'STOP-NODE-FAILURE',
      status: 404,
      code: 'UNKNOWN_NODE',
    });

    await send(identity, {
      kind: 'START-NODE',
      requestId: 'r4',
      recipe: { ...doubling.recipe('DOUBLE') },
    });
    expect(await answerTo('r4')).toMatchObject({ kind: 'START-NODE-SUCCESS', type: 'DOUBLE' });
  });
});
