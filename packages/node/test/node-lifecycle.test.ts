import { describe, expect, it } from 'vitest';
import {
  createNode,
  defineSystem,
  NodeHookError,
  NodeStateError,
  type BatchInterceptor,
  type Logger,
  type Node,
  type NodeState,
} from '../src/index.js';
import { gate, memoryNodes, push, soloSystem, take, takeValues } from './helpers.js';

const { track, started, openMemory } = memoryNodes();

/** A transform that signals when it starts and waits for the test to let it finish. */
function heldTransform(): {
  entered: Promise<void>;
  release: () => void;
  transform: (v: string) => Promise<string>;
} {
  const entered = gate();
  const released = gate();
  return {
    entered: entered.promise,
    release: () => released.open(),
    transform: async (v: string) => {
      entered.open();
      await released.promise;
      return v.toUpperCase();
    },
  };
}

describe('node lifecycle', () => {
  it('lifecycle - created, starting, running, draining, stopped; run() resolves', async () => {
    const adapter = await openMemory();
    const states: NodeState[] = [];
    const system = soloSystem({
      name: 'N',
      onStart: () => void states.push(node.state),
      transform: (v: unknown) => v,
    });
    const node: Node = track(createNode(system, 'N', { adapter }));
    states.push(node.state);
    const run = node.run();
    await node.start();
    states.push(node.state);
    const drained = node.drain(1000);
    states.push(node.state);
    await drained;
    states.push(node.state);
    await expect(run).resolves.toBeUndefined();
    expect(states).toEqual(['created', 'starting', 'running', 'draining', 'stopped']);
  });

  it('drain - the batch in flight finishes, and its outputs are durable and its sources acked before the node stops', async () => {
    const adapter = await openMemory();
    const held = heldTransform();
    const system = defineSystem({
      name: 't',
      // One batch at a time, so the fourth message is never pulled (node-overlap.test.ts drains several).
      nodes: [{ name: 'H', batchSize: 3, batchesInFlight: 1, transform: held.transform }],
    });
    const node = await started(createNode(system, 'H', { adapter }));
    await push(adapter, 'START-to-H', ['a', 'b', 'c', 'd']);
    await held.entered;
    let drained = false;
    const drain = node.drain(10_000).then(() => (drained = true));
    expect(node.state).toBe('draining');
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    held.release();
    await drain;
    expect(node.state).toBe('stopped');
    expect(await takeValues(adapter, 'H-to-END', 3)).toEqual(['A', 'B', 'C']);
    // The fourth message was never pulled: it waits, unacked by nobody, for the next node.
    expect(await adapter.queueStats('START-to-H')).toEqual({ ready: 1, unacked: 0, consumers: 0 });
  });

  it('drain - past its timeout the node aborts ctx.signal and the abandoned batch is redelivered', async () => {
    const adapter = await openMemory();
    let sawAbort = false;
    const system = soloSystem({
      name: 'STUCK',
      transform: (_: string, ctx) =>
        new Promise<never>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('aborted'));
          });
        }),
    });
    const node = await started(createNode(system, 'STUCK', { adapter }));
    await push(adapter, 'START-to-STUCK', ['x', 'y']);
    await new Promise((resolve) => setImmediate(resolve));
    await node.drain(20);
    expect(node.state).toBe('stopped');
    expect(sawAbort).toBe(true);
    const again = await take(adapter, 'START-to-STUCK', 2);
    expect(again.map((d) => [d.redelivered, d.attempt])).toEqual([
      [true, 1],
      [true, 1],
    ]);
    // The abort was the stop's doing, not the messages': nothing went to the fail queue.
    expect(await adapter.queueStats('STUCK-fail')).toMatchObject({ ready: 0 });
  });

  it('stop - abandons the batch in flight at once; a transform that ignores the signal cannot hold it', async () => {
    const adapter = await openMemory();
    const held = heldTransform();
    const system = defineSystem({ name: 't', nodes: [{ name: 'H', transform: held.transform }] });
    const node = await started(createNode(system, 'H', { adapter }));
    await push(adapter, 'START-to-H', ['a']);
    await held.entered;
    await node.stop();
    expect(node.state).toBe('stopped');
    held.release(); // finishes late: the node must not publish or ack for an abandoned batch
    await new Promise((resolve) => setImmediate(resolve));
    expect(await adapter.queueStats('H-to-END')).toMatchObject({ ready: 0 });
    const [again] = await take(adapter, 'START-to-H', 1);
    expect(again!.redelivered).toBe(true);
  });

  it('drain - is idempotent, stop after drain is harmless, and a node never started just stops', async () => {
    const adapter = await openMemory();
    const system = soloSystem({ name: 'N', transform: (v: unknown) => v });
    const idle = createNode(system, 'N', { adapter });
    await idle.drain();
    expect(idle.state).toBe('stopped');
    await expect(idle.run()).resolves.toBeUndefined();
    await expect(idle.start()).rejects.toBeInstanceOf(NodeStateError);

    const node = await started(createNode(system, 'N', { adapter }));
    await Promise.all([node.drain(1000), node.drain(1000), node.stop()]);
    await node[Symbol.asyncDispose]();
    expect(node.state).toBe('stopped');
  });

  it('hooks - onStart runs before the first pull and onStop after the last batch is settled', async () => {
    const adapter = await openMemory();
    const events: string[] = [];
    const system = soloSystem({
      name: 'HOOKED',
      onStart: async (ctx) => {
        events.push(`start ${ctx.node.type}`);
      },
      onStop: (ctx) => {
        events.push(`stop aborted=${ctx.signal.aborted}`);
      },
      transform: (v: string) => {
        events.push(`transform ${v}`);
        return v;
      },
    });
    await push(adapter, 'START-to-HOOKED', ['a']);
    const node = await started(createNode(system, 'HOOKED', { adapter }));
    await takeValues(adapter, 'HOOKED-to-END', 1);
    await node.drain(1000);
    expect(events).toEqual(['start HOOKED', 'transform a', 'stop aborted=true']);
  });

  it('hooks - a throwing onStart fails the start and run(), and pulls nothing', async () => {
    const adapter = await openMemory();
    const system = soloSystem({
      name: 'BROKEN',
      onStart: () => {
        throw new Error('no database');
      },
      transform: (v: unknown) => v,
    });
    await push(adapter, 'START-to-BROKEN', ['a']);
    const node = track(createNode(system, 'BROKEN', { adapter }));
    await expect(node.start()).rejects.toBeInstanceOf(NodeHookError);
    await expect(node.run()).rejects.toMatchObject({ hook: 'onStart', code: 'NODE_HOOK_FAILED' });
    expect(node.state).toBe('failed');
    expect(await adapter.queueStats('START-to-BROKEN')).toEqual({
      ready: 1,
      unacked: 0,
      consumers: 0,
    });
    // Stopping a node that failed does not turn it stopped: failed is terminal.
    await node.stop();
    await node.drain(0);
    expect(node.state).toBe('failed');
  });

  it('interceptors - wrap each batch, the first outermost, and see its outcome', async () => {
    const adapter = await openMemory();
    const events: string[] = [];
    const named = (name: string): BatchInterceptor => ({
      async interceptBatch(info, next) {
        events.push(`${name} in #${info.batchId} (${info.size} from ${info.queue})`);
        const outcome = await next();
        events.push(`${name} out ${outcome.processed}/${outcome.failed}/${outcome.published}`);
        return outcome;
      },
    });
    const system = soloSystem({
      name: 'I',
      batchSize: 2,
      transform: (n: number) => (n > 0 ? [n, n] : undefined),
    });
    const node = track(
      createNode(system, 'I', { adapter, interceptors: [named('outer'), named('inner')] }),
    );
    await node.start();
    await push(adapter, 'START-to-I', [1, 0]);
    await takeValues(adapter, 'I-to-END', 2);
    await node.drain(1000);
    expect(events).toEqual([
      'outer in #1 (2 from START-to-I)',
      'inner in #1 (2 from START-to-I)',
      'inner out 2/0/2',
      'outer out 2/0/2',
    ]);
  });

  it('logger - the node logs through a child bound to its type, name and worker', async () => {
    const adapter = await openMemory();
    const lines: { bindings: Record<string, unknown>; message: string }[] = [];
    const make = (bindings: Record<string, unknown>): Logger => {
      const log =
        () =>
        (fields: object | string, message?: string): void => {
          lines.push({ bindings, message: typeof fields === 'string' ? fields : (message ?? '') });
        };
      return {
        trace: log(),
        debug: log(),
        info: log(),
        warn: log(),
        error: log(),
        child: (more) => make({ ...bindings, ...more }),
      };
    };
    const system = soloSystem({ name: 'L', transform: (v: unknown) => v });
    const node = track(
      createNode(system, 'L', { adapter, logger: make({ app: 'test' }), worker: 'w-9' }),
    );
    await node.start();
    await node.drain(1000);
    expect(lines.map((line) => line.message)).toEqual(['running', 'draining', 'stopped']);
    expect(lines[0]!.bindings).toEqual({
      app: 'test',
      nodeType: 'L',
      nodeName: node.name,
      worker: 'w-9',
    });
  });

  it('stats - counts batches and reports batch latency percentiles', async () => {
    const adapter = await openMemory();
    const system = soloSystem({ name: 'S', batchSize: 5, transform: (n: number) => n });
    const node = track(createNode(system, 'S', { adapter }));
    expect(node.stats()).toMatchObject({
      state: 'created',
      batches: 0,
      latencyP50Ms: 0,
      latencyP99Ms: 0,
    });
    await node.start();
    await push(
      adapter,
      'START-to-S',
      Array.from({ length: 20 }, (_, i) => i),
    );
    await takeValues(adapter, 'S-to-END', 20);
    await node.drain(1000);
    const stats = node.stats();
    expect(stats).toMatchObject({ state: 'stopped', processed: 20, batches: 4, inFlight: 0 });
    expect(stats.latencyP50Ms).toBeGreaterThan(0);
    expect(stats.latencyP99Ms).toBeGreaterThanOrEqual(stats.latencyP50Ms);
  });

  it('event loop - a node busy with a backlog still lets timers run', async () => {
    const adapter = await openMemory();
    let batches = 0;
    const system = defineSystem({
      name: 't',
      // A loop: the queue never empties, and the in-memory adapter answers in microtasks.
      nodes: [
        { name: 'SPIN', source: 'spin', dest: 'spin', batchSize: 50, transform: (n: number) => n },
      ],
    });
    const node = track(
      createNode(system, 'SPIN', {
        adapter,
        interceptors: [{ interceptBatch: (_i, next) => ((batches += 1), next()) }],
      }),
    );
    await push(
      adapter,
      'spin',
      Array.from({ length: 500 }, (_, i) => i),
    );
    await node.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(batches).toBeGreaterThan(10);
    await node.drain(1000);
    expect(node.state).toBe('stopped');
    expect(await adapter.queueStats('spin')).toMatchObject({ ready: 500, unacked: 0 });
  });
});
