/**
 * Failed messages through the real master, worker and control client over ZeroMQ, on the in-memory adapter: inputs
 * that fail land in the fail queue, `failedMessages` shows why, the fixed system is deployed by replacing the worker,
 * `redrive` brings every one of them through, and `purgeFailed` empties the queue. And the clear failures: no worker,
 * an unknown type, a `to` no node reads.
 */
import { describe, expect, it } from 'vitest';
import { ControlClient, ControlRequestError } from '@monomyth/control';
import { Master } from '@monomyth/master';
import type { MasterOptions } from '@monomyth/master';
import { MonomythHeader, NonRetryableError, defineSystem } from '@monomyth/node';
import { MemoryBroker, MemoryStreamAdapter } from '@monomyth/node/memory';
import type { System } from '@monomyth/node';
import { eventually, rejectionOf } from '@monomyth/testing';
import { cleanupsAfterEach, collect, publish, startWorker } from './helpers.js';

const defer = cleanupsAfterEach();

interface Input {
  readonly id: number;
  readonly poison: boolean;
}

function checkSystem(fixed: boolean): System {
  return defineSystem({
    name: 'check',
    nodes: [
      {
        name: 'CHECK',
        batchSize: 10,
        batchTimeoutMs: 10,
        transform: (input: Input) => {
          if (input.poison && !fixed) throw new NonRetryableError(`poison ${input.id}`);
          return { id: input.id, fixed };
        },
      },
    ],
  });
}

async function startMaster(options: Pick<MasterOptions, 'maxFrameBytes'> = {}): Promise<Master> {
  const master = await Master.create({
    bind: 'tcp://127.0.0.1:*',
    heartbeatIntervalMs: 100,
    heartbeatMisses: 5,
    ...options,
  });
  defer(() => master.close());
  return master;
}

function client(master: Master): ControlClient {
  const control = new ControlClient({ master: master.endpoint, timeoutMs: 5000 });
  defer(() => control.close());
  return control;
}

/** The control request's failure (ControlRequestError); the test fails if it succeeds. */
function failureOf(promise: Promise<unknown>): Promise<ControlRequestError> {
  return rejectionOf(promise, ControlRequestError);
}

describe('fail queue requests with a master', () => {
  it('fail queue - poison inputs fail, the fixed system replaces the worker, redrive brings every one through', async () => {
    const master = await startMaster();
    const control = client(master);
    const broker = new MemoryBroker();
    const strict = await startWorker(
      defer,
      { master: master.endpoint, system: checkSystem(false), id: 'strict' },
      broker,
    );
    await eventually(
      () => master.workers().length,
      (count) => count === 1,
    );
    await control.startNode('CHECK');

    const inputs: Input[] = Array.from({ length: 30 }, (_, id) => ({ id, poison: id % 3 === 0 }));
    const poison = inputs.filter((input) => input.poison).map((input) => input.id);
    await publish(broker, 'START-to-CHECK', inputs);
    expect(await collect(broker, 'CHECK-to-END', inputs.length - poison.length)).toHaveLength(20);
    const inspected = await eventually(
      () => control.failedMessages('CHECK', { peek: 2 }),
      (result) => result.count === poison.length,
    );
    expect(inspected).toMatchObject({ workerId: 'strict', queue: 'CHECK-fail', action: 'inspect' });
    expect(inspected.messages?.map((message) => message.reason)).toEqual(['poison 0', 'poison 3']);
    expect(inspected.messages?.[0]).toMatchObject({
      errorName: 'NonRetryableError',
      step: 'transform',
      attempts: 1,
      sourceQueue: 'START-to-CHECK',
      preview: JSON.stringify(inputs[0]),
    });
    // The in-memory adapter's peek changes nothing: the same head, the same count.
    expect((await control.failedMessages('CHECK', { peek: 1 })).messages?.[0]?.reason).toBe(
      'poison 0',
    );

    await strict.close({ drainTimeoutMs: 1000 });
    await startWorker(
      defer,
      { master: master.endpoint, system: checkSystem(true), id: 'fixed' },
      broker,
    );
    // The master still wants its CHECK node: it starts it on the new worker.
    await eventually(
      () => master.workers(),
      (workers) =>
        workers.some((worker) => worker.workerId === 'fixed' && worker.nodes.length === 1),
    );
    const redriven = await control.redrive('CHECK');
    expect(redriven).toMatchObject({
      workerId: 'fixed',
      moved: poison.length,
      to: 'START-to-CHECK',
      count: 0,
    });
    const late = (await collect(broker, 'CHECK-to-END', poison.length)) as {
      id: number;
      fixed: boolean;
    }[];
    expect(late.map((output) => output.id).sort((a, b) => a - b)).toEqual(poison);
    expect(late.every((output) => output.fixed)).toBe(true);
    expect((await control.failedMessages('CHECK')).count).toBe(0);
  });

  it('fail queue - a limited redrive to another queue records the redrive; purge deletes the rest', async () => {
    const master = await startMaster();
    const control = client(master);
    const broker = new MemoryBroker();
    const system = defineSystem({
      name: 'two',
      nodes: [
        { name: 'A', transform: (value: unknown) => value },
        { name: 'B', transform: (value: unknown) => value },
      ],
    });
    await startWorker(defer, { master: master.endpoint, system, id: 'two' }, broker);
    await eventually(
      () => master.workers().length,
      (count) => count === 1,
    );
    await publish(broker, 'A-fail', [1, 2, 3, 4]);

    const moved = await control.redrive('A', { limit: 1, to: 'A-to-B' });
    expect(moved).toMatchObject({ moved: 1, to: 'A-to-B', count: 3 });
    const adapter = new MemoryStreamAdapter({ broker });
    await adapter.open();
    const [copy] = await adapter.peekMessages('A-to-B', 1);
    await adapter.close();
    expect(copy?.headers[MonomythHeader.Redrives]).toBe(1);

    const purged = await control.purgeFailed('A');
    expect(purged).toMatchObject({ action: 'purge', purged: 3, count: 0 });
  });

  it('fail queue - clear failures: no worker, an unknown type, a queue no node reads', async () => {
    const master = await startMaster();
    const control = client(master);
    expect(await failureOf(control.failedMessages('CHECK'))).toMatchObject({
      status: 503,
      code: 'NO_WORKERS',
    });
    await startWorker(defer, { master: master.endpoint, system: checkSystem(true), id: 'w' });
    await eventually(
      () => master.workers().length,
      (count) => count === 1,
    );
    const unknown = await failureOf(control.redrive('NOPE'));
    expect(unknown).toMatchObject({ status: 400, code: 'UNKNOWN_TYPE' });
    expect(unknown.reason).toContain('known types: CHECK');
    const elsewhere = await failureOf(control.redrive('CHECK', { to: 'CHECK-to-END' }));
    expect(elsewhere).toMatchObject({ status: 400, code: 'UNKNOWN_QUEUE' });
    expect(elsewhere.reason).toContain('the queues its nodes read: START-to-CHECK');
  });

  it("fail queue - a peek larger than the master's frame limit comes back cut to fit, with the rest counted, and the worker stays", async () => {
    // 8 KiB frames: 50 failed messages with 1,000-character reasons would make a 60 KB answer, which ZeroMQ would
    // drop together with the worker's connection.
    const master = await startMaster({ maxFrameBytes: 8192 });
    const broker = new MemoryBroker();
    const adapter = new MemoryStreamAdapter({ broker });
    await adapter.open();
    await adapter.declareQueue('CHECK-fail');
    await adapter.publish(
      Array.from({ length: 50 }, (_, i) => ({
        queue: 'CHECK-fail',
        body: new TextEncoder().encode(JSON.stringify({ id: i, poison: true })),
        headers: {
          [MonomythHeader.ErrorMessage]: `poison ${i} `.padEnd(1000, 'x'),
          [MonomythHeader.Attempts]: 1,
        },
      })),
    );
    await adapter.close();
    const worker = await startWorker(
      defer,
      { master: master.endpoint, system: checkSystem(false), id: 'peeker' },
      broker,
    );
    await eventually(
      () => master.workers().length,
      (count) => count === 1,
    );

    const result = await client(master).failedMessages('CHECK', { peek: 50 });
    expect(result.count).toBe(50);
    const shown = result.messages ?? [];
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(50);
    expect(result.omitted).toBe(50 - shown.length);
    expect(shown[0]?.reason).toMatch(/^poison 0 x+$/);
    // Its connection was kept: the same registration answers the next request.
    expect(master.workers()).toMatchObject([{ workerId: worker.id }]);
    expect((await client(master).failedMessages('CHECK', { peek: 1 })).messages).toHaveLength(1);
  });
});
