import { describe, expect, it, vi } from 'vitest';
import {
  createNode,
  NonRetryableError,
  StreamFailureError,
  jsonCodec,
  type Node,
  type NodeRuntimeOptions,
  type RetryOptions,
  type System,
} from '../src/index.js';
import { MonomythHeader, type MessageHeaders } from '../src/adapter.js';
import type { MemoryStreamAdapter } from '../src/memory/index.js';
import {
  FaultyAdapter,
  memoryNodes,
  push,
  soloSystem,
  take,
  takeNonRetryable,
  takeValues,
} from './helpers.js';

const { started, openMemory, startSolo } = memoryNodes();

/** The attempts a transform made (each `ctx.attempt`, in order); `reached(n)` resolves at the n-th. */
function attemptLog(): {
  record: (attempt: number) => void;
  reached: (n: number) => Promise<void>;
  count: () => number;
  readonly seen: number[];
} {
  const seen: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    seen,
    record(attempt) {
      seen.push(attempt);
      for (const waiter of waiters.filter((w) => w.n <= seen.length)) waiter.resolve();
    },
    reached(n) {
      return n <= seen.length
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ n, resolve }));
    },
    count: () => seen.length,
  };
}

/** A node taking one message per batch whose transform logs each attempt on `attempts` and throws `error`. */
function failingSystem(
  name: string,
  retry: RetryOptions,
  attempts: ReturnType<typeof attemptLog>,
  error = new Error('fails'),
): System {
  return soloSystem({
    name,
    batchSize: 1,
    retry,
    transform: (_: unknown, ctx) => {
      attempts.record(ctx.attempt);
      throw error;
    },
  });
}

/**
 * Starts a `failingSystem` node on the in-memory adapter, feeds it one `input`, and waits for its first attempt: how
 * the retry tests begin.
 */
async function failingNode(
  name: string,
  retry: RetryOptions,
  error: Error,
  input: unknown,
  options: { runtime?: Omit<NodeRuntimeOptions, 'adapter'>; headers?: MessageHeaders } = {},
): Promise<{ adapter: MemoryStreamAdapter; attempts: ReturnType<typeof attemptLog>; node: Node }> {
  const adapter = await openMemory();
  const attempts = attemptLog();
  const system = failingSystem(name, retry, attempts, error);
  const node = await started(createNode(system, name, { ...options.runtime, adapter }));
  await push(adapter, `START-to-${name}`, [input], options.headers);
  await attempts.reached(1);
  return { adapter, attempts, node };
}

/** Opens the in-memory adapter (closed after the test) and a FaultyAdapter over it, for the node. */
async function openFaulty(): Promise<{ inner: MemoryStreamAdapter; faulty: FaultyAdapter }> {
  const inner = await openMemory();
  return { inner, faulty: new FaultyAdapter(inner) };
}

describe('node failures', () => {
  it('failure - a throwing transform fails its message only; the rest of the batch goes on', async () => {
    const adapter = await openMemory();
    const node = await startSolo(
      adapter,
      {
        name: 'PICKY',
        batchSize: 5,
        transform: (n: number) => {
          if (n === 3) throw new NonRetryableError('three is right out');
          return n * 10;
        },
      },
      [1, 2, 3, 4, 5],
    );
    expect(await takeValues(adapter, 'PICKY-to-END', 4)).toEqual([10, 20, 40, 50]);
    const [failed] = await take(adapter, 'PICKY-fail', 1);
    expect(jsonCodec.decode(failed!.body)).toBe(3);
    await node.drain(1000);
    expect(node.stats()).toMatchObject({ processed: 4, failed: 1, retried: 0, batches: 1 });
    expect(await adapter.queueStats('START-to-PICKY')).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('failure - the fail-queue copy keeps the body and names the error, step, node, worker, attempts and times', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      now: Date.parse('2030-01-02T03:04:05.000Z'),
    });
    const { adapter, attempts, node } = await failingNode(
      'FLAKY',
      { maxAttempts: 2, initialDelayMs: 5000, jitter: 0 },
      new RangeError('out of range'),
      { id: 1 },
      { runtime: { worker: 'worker-7' }, headers: { trace: 't-1' } },
    );
    await vi.advanceTimersByTimeAsync(5000);
    await attempts.reached(2);
    const [failed] = await take(adapter, 'FLAKY-fail', 1);
    expect(jsonCodec.decode(failed!.body)).toEqual({ id: 1 });
    expect(failed!.headers).toEqual({
      trace: 't-1',
      [MonomythHeader.Attempt]: 2,
      [MonomythHeader.Attempts]: 2,
      [MonomythHeader.ErrorMessage]: 'out of range',
      [MonomythHeader.ErrorName]: 'RangeError',
      [MonomythHeader.Step]: 'transform',
      [MonomythHeader.NodeType]: 'FLAKY',
      [MonomythHeader.NodeName]: node.name,
      [MonomythHeader.Worker]: 'worker-7',
      [MonomythHeader.SourceQueue]: 'START-to-FLAKY',
      [MonomythHeader.FirstFailureAt]: '2030-01-02T03:04:05.000Z',
      [MonomythHeader.LastFailureAt]: '2030-01-02T03:04:10.000Z',
      [MonomythHeader.NonRetryable]: false,
    });
  });

  it('failure - a body that does not decode fails at step pull, with its bytes kept', async () => {
    const adapter = await openMemory();
    const system = soloSystem({ name: 'J', transform: (v: unknown) => v });
    await started(createNode(system, 'J', { adapter }));
    await adapter.declareQueue('START-to-J');
    const garbage = new Uint8Array([0x7b, 0x6e, 0x6f, 0xff]);
    await adapter.publish([
      { queue: 'START-to-J', body: garbage },
      { queue: 'START-to-J', body: jsonCodec.encode('fine') },
    ]);
    expect(await takeValues(adapter, 'J-to-END', 1)).toEqual(['fine']);
    const failed = await takeNonRetryable(adapter, 'J-fail', 'pull', 'BodyCodecError');
    expect([...failed.body]).toEqual([...garbage]);
  });

  it('failure - an output that does not encode fails its message at step place; none of its outputs go out', async () => {
    const adapter = await openMemory();
    const system = soloSystem({
      name: 'BIG',
      transform: (n: number) => (n === 2 ? [n, BigInt(n)] : [n]),
    });
    await started(createNode(system, 'BIG', { adapter }));
    await push(adapter, 'START-to-BIG', [1, 2, 3]);
    expect(await takeValues(adapter, 'BIG-to-END', 2)).toEqual([1, 3]);
    const failed = await takeNonRetryable(adapter, 'BIG-fail', 'place', 'BodyCodecError');
    expect(String(failed.headers[MonomythHeader.ErrorMessage])).toContain(
      'json codec could not encode',
    );
    expect(await adapter.queueStats('BIG-to-END')).toMatchObject({ ready: 0 });
  });

  it('retry - a failing message is retried with exponential backoff, up to maxAttempts, then fails', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { adapter, attempts, node } = await failingNode(
      'DOOMED',
      { maxAttempts: 4, initialDelayMs: 100, multiplier: 3, maxDelayMs: 500, jitter: 0 },
      new Error('nope'),
      'x',
    );
    // Delays: 100, then 300, then min(900, 500) = 500.
    for (const [delay, attempt] of [
      [100, 2],
      [300, 3],
      [500, 4],
    ] as const) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(attempts.count()).toBe(attempt - 1);
      await vi.advanceTimersByTimeAsync(1);
      await attempts.reached(attempt);
    }
    const [failed] = await take(adapter, 'DOOMED-fail', 1);
    expect(failed!.headers[MonomythHeader.Attempts]).toBe(4);
    expect(attempts.seen).toEqual([1, 2, 3, 4]);
    await node.drain(1000);
    expect(node.stats()).toMatchObject({ processed: 0, retried: 3, failed: 1 });
  });

  it('retry - a message that succeeds on a later attempt is processed once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const adapter = await openMemory();
    let calls = 0;
    const node = await startSolo(
      adapter,
      {
        name: 'SECOND-TIME',
        batchSize: 1,
        retry: { initialDelayMs: 50, jitter: 0 },
        transform: (v: string, ctx) => {
          calls += 1;
          if (ctx.attempt === 1) throw new Error('not yet');
          return `${v}@${ctx.attempt}`;
        },
      },
      ['v'],
    );
    await vi.advanceTimersByTimeAsync(50);
    expect(await takeValues(adapter, 'SECOND-TIME-to-END', 1)).toEqual(['v@2']);
    await node.drain(1000);
    expect(calls).toBe(2);
    expect(node.stats()).toMatchObject({ processed: 1, retried: 1, failed: 0 });
    expect(await adapter.queueStats('SECOND-TIME-fail')).toMatchObject({ ready: 0 });
  });

  it('retry - a NonRetryableError goes straight to the fail queue, whatever attempts remain', async () => {
    const adapter = await openMemory();
    let calls = 0;
    const node = await startSolo(
      adapter,
      {
        name: 'STRICT',
        retry: { maxAttempts: 10 },
        transform: () => {
          calls += 1;
          throw new NonRetryableError('malformed order', { cause: new Error('missing id') });
        },
      },
      ['o'],
    );
    const [failed] = await take(adapter, 'STRICT-fail', 1);
    expect(failed!.headers).toMatchObject({
      [MonomythHeader.Attempts]: 1,
      [MonomythHeader.ErrorName]: 'NonRetryableError',
      [MonomythHeader.ErrorMessage]: 'malformed order',
      [MonomythHeader.NonRetryable]: true,
    });
    await node.drain(1000);
    expect(calls).toBe(1);
    expect(node.stats()).toMatchObject({ retried: 0, failed: 1 });
  });

  it('retry - jitter spreads the delay within +-jitter of the backoff', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // random() = 0 is the low end of the spread: 1000 * (1 - 0.5) = 500 ms.
    const { attempts } = await failingNode(
      'JIT',
      { maxAttempts: 2, initialDelayMs: 1000, jitter: 0.5 },
      new Error('again'),
      'j',
      { runtime: { random: () => 0 } },
    );
    await vi.advanceTimersByTimeAsync(499);
    expect(attempts.count()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await attempts.reached(2);
  });

  it('retry - without DelayedRetryCapable the node holds the original, then republishes it with the next attempt', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { inner, faulty } = await openFaulty();
    const attempts = attemptLog();
    const system = soloSystem({
      name: 'HOLD',
      batchSize: 1,
      retry: { maxAttempts: 2, initialDelayMs: 1000, jitter: 0 },
      transform: (v: string, ctx) => {
        attempts.record(ctx.attempt);
        if (ctx.attempt === 1) throw new Error('first time fails');
        return v;
      },
    });
    const node = await started(createNode(system, 'HOLD', { adapter: faulty }));
    await push(inner, 'START-to-HOLD', ['h']);
    await attempts.reached(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(await inner.queueStats('START-to-HOLD')).toMatchObject({ ready: 0, unacked: 1 });
    expect(node.stats().inFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    await attempts.reached(2);
    expect(await takeValues(inner, 'HOLD-to-END', 1)).toEqual(['h']);
    const republished = faulty.published.flat().find((m) => m.queue === 'START-to-HOLD');
    expect(republished?.headers?.[MonomythHeader.Attempt]).toBe(2);
    await node.drain(1000);
    expect(await inner.queueStats('START-to-HOLD')).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('retry - a drain publishes held retries at once instead of holding them', async () => {
    const { inner, faulty } = await openFaulty();
    const attempts = attemptLog();
    const system = failingSystem(
      'HOLD',
      { initialDelayMs: 3_600_000, maxDelayMs: 3_600_000, jitter: 0 },
      attempts,
    );
    const node = await started(createNode(system, 'HOLD', { adapter: faulty }));
    await push(inner, 'START-to-HOLD', ['h']);
    await attempts.reached(1);
    await node.drain(1000);
    const [copy] = await take(inner, 'START-to-HOLD', 1);
    expect(copy!.headers[MonomythHeader.Attempt]).toBe(2);
    expect(copy!.redelivered).toBe(false);
  });

  it('retry - a held retry that cannot be placed stops the node, and its original comes back untouched', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { inner, faulty } = await openFaulty();
    const attempts = attemptLog();
    const system = failingSystem('HOLD', { initialDelayMs: 1000, jitter: 0 }, attempts);
    const node = await started(createNode(system, 'HOLD', { adapter: faulty }));
    const outcome = node.run().catch((e: unknown) => e);
    await push(inner, 'START-to-HOLD', ['h']);
    await attempts.reached(1);
    faulty.failPublishes = 1;
    await vi.advanceTimersByTimeAsync(1000);
    const error = await outcome;
    expect(error).toBeInstanceOf(StreamFailureError);
    expect(error).toMatchObject({ step: 'place' });
    vi.useRealTimers();
    const [back] = await take(inner, 'START-to-HOLD', 1);
    expect([back!.attempt, back!.redelivered]).toEqual([1, true]);
  });

  it('stream - a publish failure burns no attempt: the batch is requeued and the node fails', async () => {
    const { inner, faulty } = await openFaulty();
    const seen: { v: string; attempt: number; redelivered: boolean }[] = [];
    const system = soloSystem({
      name: 'P',
      batchSize: 2,
      transform: (v: string, ctx) => {
        seen.push({ v, attempt: ctx.attempt, redelivered: ctx.redelivered });
        return v;
      },
    });
    const first = await started(createNode(system, 'P', { adapter: faulty }));
    faulty.failPublishes = 1;
    await push(inner, 'START-to-P', ['a', 'b']);
    const error: unknown = await first.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamFailureError);
    expect(error).toMatchObject({ step: 'place', code: 'STREAM_FAILURE' });
    expect(first.state).toBe('failed');
    expect(await inner.queueStats('START-to-P')).toEqual({ ready: 2, unacked: 0, consumers: 0 });

    const second = await started(createNode(system, 'P', { adapter: faulty }));
    expect(await takeValues(inner, 'P-to-END', 2)).toEqual(['a', 'b']);
    await second.drain(1000);
    expect(seen).toEqual([
      { v: 'a', attempt: 1, redelivered: false },
      { v: 'b', attempt: 1, redelivered: false },
      { v: 'a', attempt: 1, redelivered: true },
      { v: 'b', attempt: 1, redelivered: true },
    ]);
    expect(await inner.queueStats('P-fail')).toMatchObject({ ready: 0 });
  });

  it('stream - a pull failure fails the node with StreamFailureError at step pull', async () => {
    const adapter = await openMemory();
    const system = soloSystem({ name: 'Q', transform: (v: unknown) => v });
    const node = await started(createNode(system, 'Q', { adapter }));
    await adapter.close(); // the adapter goes away under a running node
    const error: unknown = await node.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamFailureError);
    expect(error).toMatchObject({ step: 'pull' });
  });
});
