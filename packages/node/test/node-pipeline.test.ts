import { describe, expect, it } from 'vitest';
import {
  createNode,
  defineSystem,
  msgpackCodec,
  stringCodec,
  type BatchInterceptor,
} from '../src/index.js';
import { MonomythHeader } from '../src/adapter.js';
import {
  memoryNodes,
  push,
  ready,
  soloSystem,
  take,
  takeNonRetryable,
  takeValues,
} from './helpers.js';

const { track, started, openMemory, startSolo } = memoryNodes();

function sizes(): { interceptor: BatchInterceptor; seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    interceptor: {
      async interceptBatch(info, next) {
        seen.push(info.size);
        return next();
      },
    },
  };
}

describe('node pipeline', () => {
  it('pipeline - full batches are processed whole and outputs keep the queue order', async () => {
    const adapter = await openMemory();
    const system = soloSystem({ name: 'DOUBLE', batchSize: 10, transform: (n: number) => n * 2 });
    const { interceptor, seen } = sizes();
    const node = await started(
      createNode(system, 'DOUBLE', { adapter, interceptors: [interceptor] }),
    );
    await push(
      adapter,
      'START-to-DOUBLE',
      Array.from({ length: 25 }, (_, i) => i),
    );
    const out = await takeValues(adapter, 'DOUBLE-to-END', 25);
    expect(out).toEqual(Array.from({ length: 25 }, (_, i) => i * 2));
    expect(seen).toEqual([10, 10, 5]);
    await node.drain(1000); // outputs are visible before their sources are acked and counted
    expect(node.stats()).toMatchObject({ processed: 25, published: 25, batches: 3, failed: 0 });
    expect(await adapter.queueStats('START-to-DOUBLE')).toEqual({
      ready: 0,
      unacked: 0,
      consumers: 0,
    });
  });

  it('pipeline - a partial batch is processed once batchTimeoutMs passes', async () => {
    const adapter = await openMemory();
    const { interceptor, seen } = sizes();
    await startSolo(
      adapter,
      { name: 'ID', batchSize: 10, batchTimeoutMs: 20, transform: (v: string) => v },
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
      { interceptors: [interceptor] },
    );
    expect(await takeValues(adapter, 'ID-to-END', 7)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(seen).toEqual([7]);
  });

  it('pipeline - an empty source runs no batch and drains at once', async () => {
    const adapter = await openMemory();
    let calls = 0;
    const system = soloSystem({ name: 'ID', transform: (v: unknown) => ((calls += 1), v) });
    const node = await started(createNode(system, 'ID', { adapter }));
    expect(node.state).toBe('running');
    await node.drain(1000);
    expect(node.state).toBe('stopped');
    expect(calls).toBe(0);
    expect(node.stats().batches).toBe(0);
    expect(await ready(adapter, 'ID-to-END')).toBe(0);
  });

  it("pipeline - the original's 4-stage example chains START-to-N1 ... N4-to-END", async () => {
    const adapter = await openMemory();
    const system = defineSystem({
      name: 'test-system',
      nodes: [
        { name: 'TEST-NODE1', transform: (s: string) => `${s}18` },
        { name: 'TEST-NODE2', transform: (s: string) => s.replace(/[a-z]/gi, '') },
        { name: 'TEST-NODE3', transform: (s: string) => Number(s) * 7 },
        { name: 'TEST-NODE4', transform: (n: number) => `test ${n}` },
      ],
    });
    expect(system.recipes.map((r) => [r.source, r.dest])).toEqual([
      ['START-to-TEST-NODE1', ['TEST-NODE1-to-TEST-NODE2']],
      ['TEST-NODE1-to-TEST-NODE2', ['TEST-NODE2-to-TEST-NODE3']],
      ['TEST-NODE2-to-TEST-NODE3', ['TEST-NODE3-to-TEST-NODE4']],
      ['TEST-NODE3-to-TEST-NODE4', ['TEST-NODE4-to-END']],
    ]);
    for (const type of system.types) {
      await started(createNode(system, type, { adapter }));
      await started(createNode(system, type, { adapter })); // two of each, sharing queues
    }
    const inputs = Array.from({ length: 75 }, (_, i) => `ab${i}c${i % 7}`);
    await push(adapter, 'START-to-TEST-NODE1', inputs);
    const expected = inputs.map((s) => `test ${Number(`${s}18`.replace(/[a-z]/gi, '')) * 7}`);
    const out = await takeValues(adapter, 'TEST-NODE4-to-END', 75);
    expect([...out].sort()).toEqual([...expected].sort());
  });

  it('fan-out - an array result becomes one message per element', async () => {
    const adapter = await openMemory();
    const system = soloSystem({ name: 'SPLIT', transform: (s: string) => s.split(' ') });
    const node = await started(createNode(system, 'SPLIT', { adapter }));
    await push(adapter, 'START-to-SPLIT', ['a b c', 'd']);
    expect(await takeValues(adapter, 'SPLIT-to-END', 4)).toEqual(['a', 'b', 'c', 'd']);
    await node.drain(1000);
    expect(node.stats()).toMatchObject({ processed: 2, published: 4 });
  });

  it('fan-out - several dests each get every output', async () => {
    const adapter = await openMemory();
    await startSolo(
      adapter,
      {
        name: 'COPY',
        dest: ['left', 'right'],
        transform: (n: number) => n + 1,
      },
      [1, 2, 3],
    );
    expect(await takeValues(adapter, 'left', 3)).toEqual([2, 3, 4]);
    expect(await takeValues(adapter, 'right', 3)).toEqual([2, 3, 4]);
  });

  it('fan-in - two nodes write one queue that a third reads', async () => {
    const adapter = await openMemory();
    const system = defineSystem({
      name: 't',
      nodes: [
        { name: 'A', source: 'in-a', dest: 'merged', transform: (s: string) => `a:${s}` },
        { name: 'B', source: 'in-b', dest: 'merged', transform: (s: string) => `b:${s}` },
        { name: 'C', source: 'merged', dest: 'out', transform: (s: string) => s.toUpperCase() },
      ],
    });
    expect(system.queues).toMatchObject({ inputs: ['in-a', 'in-b'], outputs: ['out'] });
    for (const type of system.types) await started(createNode(system, type, { adapter }));
    await push(adapter, 'in-a', ['x']);
    await push(adapter, 'in-b', ['y']);
    expect((await takeValues(adapter, 'out', 2)).sort()).toEqual(['A:X', 'B:Y']);
  });

  it('routing - route sends each output to its named destination', async () => {
    const adapter = await openMemory();
    await startSolo(
      adapter,
      {
        name: 'PARITY',
        dest: { even: 'evens', odd: ['odds', 'odds-audit'] },
        route: (n: number) => (n % 2 === 0 ? 'even' : 'odd'),
        transform: (n: number) => n,
      },
      [1, 2, 3, 4, 5],
    );
    expect(await takeValues(adapter, 'evens', 2)).toEqual([2, 4]);
    expect(await takeValues(adapter, 'odds', 3)).toEqual([1, 3, 5]);
    expect(await takeValues(adapter, 'odds-audit', 3)).toEqual([1, 3, 5]);
  });

  it('routing - a route key the node lacks fails that message at step place, without retry', async () => {
    const adapter = await openMemory();
    await startSolo(
      adapter,
      {
        name: 'R',
        dest: { keep: 'kept' },
        route: (s: string) => (s === 'bad' ? ('elsewhere' as 'keep') : 'keep'),
        transform: (s: string) => s,
      },
      ['ok', 'bad', 'fine'],
    );
    expect(await takeValues(adapter, 'kept', 2)).toEqual(['ok', 'fine']);
    await takeNonRetryable(adapter, 'R-fail', 'place', 'UnknownRouteError');
  });

  it('filter - returning nothing drops the message and still acks it', async () => {
    const adapter = await openMemory();
    const node = await startSolo(
      adapter,
      {
        name: 'EVEN',
        transform: (n: number) => (n % 2 === 0 ? n : undefined),
      },
      [1, 2, 3, 4],
    );
    expect(await takeValues(adapter, 'EVEN-to-END', 2)).toEqual([2, 4]);
    await node.drain(1000);
    expect(node.stats()).toMatchObject({ processed: 4, published: 2 });
    expect(await adapter.queueStats('START-to-EVEN')).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('sink - a node without dest runs its transform, acks, and publishes nothing', async () => {
    const adapter = await openMemory();
    const seen: string[] = [];
    const system = soloSystem({
      name: 'SINK',
      source: 'in',
      dest: null,
      transform: (s: string) => void seen.push(s),
    });
    const node = await started(createNode(system, 'SINK', { adapter }));
    await push(adapter, 'in', ['a', 'b']);
    await node.drain(1000);
    expect(seen).toEqual(['a', 'b']);
    expect(node.stats()).toMatchObject({ processed: 2, published: 0 });
    expect(system.queues.outputs).toEqual([]);
    expect(await adapter.queueStats('in')).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('generator - publishes what generate yields, in batches, and stops when it ends', async () => {
    const adapter = await openMemory();
    const system = defineSystem({
      name: 't',
      nodes: [
        {
          name: 'COUNT',
          batchSize: 4,
          *generate() {
            for (let i = 0; i < 10; i++) yield i;
          },
        },
        { name: 'SQUARE', transform: (n: number) => n * n },
      ],
    });
    expect(system.recipe('COUNT').source).toBeNull();
    expect(system.queues.inputs).toEqual([]);
    const { interceptor, seen } = sizes();
    const generator = createNode(system, 'COUNT', { adapter, interceptors: [interceptor] });
    track(generator);
    await started(createNode(system, 'SQUARE', { adapter }));
    await generator.run();
    expect(generator.state).toBe('stopped');
    expect(seen).toEqual([4, 4, 2]);
    expect(await takeValues(adapter, 'SQUARE-to-END', 10)).toEqual(
      Array.from({ length: 10 }, (_, i) => i * i),
    );
  });

  it('generator - an async generator publishes a partial batch after batchTimeoutMs', async () => {
    const adapter = await openMemory();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const system = soloSystem({
      name: 'TICKS',
      batchSize: 100,
      batchTimeoutMs: 10,
      async *generate() {
        yield 'first';
        yield 'second';
        await held; // nothing more until the test has seen the partial batch
        yield 'third';
      },
    });
    const node = createNode(system, 'TICKS', { adapter });
    track(node);
    const done = node.run();
    expect(await takeValues(adapter, 'TICKS-to-END', 2)).toEqual(['first', 'second']);
    release();
    await done;
    expect(await takeValues(adapter, 'TICKS-to-END', 1)).toEqual(['third']);
  });

  it('codec - string, msgpack and bytes bodies are read and written with the node codec', async () => {
    const adapter = await openMemory();
    const system = defineSystem({
      name: 't',
      nodes: [
        {
          name: 'S',
          codec: 'string',
          source: 's-in',
          dest: 's-out',
          transform: (s: string) => s + '!',
        },
        {
          name: 'M',
          codec: 'msgpack',
          source: 'm-in',
          dest: 'm-out',
          transform: (v: { n: number; bin: Uint8Array }) => ({ n: v.n + 1, bin: v.bin }),
        },
        {
          name: 'B',
          codec: 'bytes',
          source: 'b-in',
          dest: 'b-out',
          transform: (b: Uint8Array) => b.slice().reverse(),
        },
      ],
    });
    for (const type of system.types) await started(createNode(system, type, { adapter }));
    await adapter.publish([
      { queue: 's-in', body: stringCodec.encode('hi') },
      { queue: 'm-in', body: msgpackCodec.encode({ n: 1, bin: new Uint8Array([1, 2]) }) },
      { queue: 'b-in', body: new Uint8Array([1, 2, 3]) },
    ]);
    const [s] = await take(adapter, 's-out', 1);
    expect(Buffer.from(s!.body).toString()).toBe('hi!');
    const [m] = await take(adapter, 'm-out', 1);
    expect(msgpackCodec.decode(m!.body)).toEqual({ n: 2, bin: new Uint8Array([1, 2]) });
    const [b] = await take(adapter, 'b-out', 1);
    expect([...b!.body]).toEqual([3, 2, 1]);
  });

  it('concurrency - at most `concurrency` transforms run at once, and outputs keep source order', async () => {
    const adapter = await openMemory();
    let active = 0;
    let peak = 0;
    const system = soloSystem({
      name: 'SLOW',
      batchSize: 12,
      concurrency: 3,
      async transform(n: number) {
        active += 1;
        peak = Math.max(peak, active);
        // Later messages finish first: order must come from the batch, not from completion.
        await new Promise((resolve) => setImmediate(resolve));
        if (n % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
        active -= 1;
        return n;
      },
    });
    await started(createNode(system, 'SLOW', { adapter }));
    await push(
      adapter,
      'START-to-SLOW',
      Array.from({ length: 12 }, (_, i) => i),
    );
    expect(await takeValues(adapter, 'SLOW-to-END', 12)).toEqual(
      Array.from({ length: 12 }, (_, i) => i),
    );
    expect(peak).toBe(3);
  });

  it('context - the transform sees the queue, headers, attempt, options and node info', async () => {
    const adapter = await openMemory();
    const seen: unknown[] = [];
    const system = soloSystem({
      name: 'CTX',
      options: { greeting: 'hi' },
      transform: (v: number, ctx) => {
        seen.push({
          v,
          queue: ctx.queue,
          attempt: ctx.attempt,
          redelivered: ctx.redelivered,
          trace: ctx.headers['trace'],
          options: ctx.options,
          type: ctx.node.type,
          worker: ctx.node.worker,
          aborted: ctx.signal.aborted,
        });
        return v;
      },
    });
    const node = await started(createNode(system, 'CTX', { adapter, worker: 'w-1' }));
    await push(adapter, 'START-to-CTX', [7], { trace: 'abc', [MonomythHeader.Attempt]: 2 });
    await takeValues(adapter, 'CTX-to-END', 1);
    expect(node.name).toMatch(/^CTX:[0-9a-f-]{36}$/);
    expect(seen).toEqual([
      {
        v: 7,
        queue: 'START-to-CTX',
        attempt: 2,
        redelivered: false,
        trace: 'abc',
        options: { greeting: 'hi' },
        type: 'CTX',
        worker: 'w-1',
        aborted: false,
      },
    ]);
  });
});
