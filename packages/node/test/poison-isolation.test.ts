/**
 * One bad message never stops a node: outputs and fail-queue copies the stream refuses cost only the message they
 * came from, and a message that keeps coming back is failed instead of run again. Against the in-memory adapter with
 * a `maxMessageBytes`, which refuses messages the way a broker does; the RabbitMQ tests repeat the main cases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidRecipeError,
  compileRecipe,
  createNode,
  defineSystem,
  jsonCodec,
  type System,
} from '../src/index.js';
import {
  MonomythHeader,
  type ConsumeOptions,
  type OutgoingMessage,
  type StreamAdapter,
  type StreamConsumer,
} from '../src/adapter.js';
import { MemoryBroker, MemoryStreamAdapter } from '../src/memory/index.js';
import {
  nodeTracker,
  PassThroughAdapter,
  push,
  take,
  takeNonRetryable,
  takeValues,
} from './helpers.js';

const LIMIT = 32 * 1024;
const encoder = new TextEncoder();
const { started, stopAll } = nodeTracker();
const adapters: StreamAdapter[] = [];

afterEach(async () => {
  await stopAll();
  await Promise.all(adapters.splice(0).map((adapter) => adapter.close()));
});

/** A node's adapter that refuses messages over LIMIT bytes, and a feeder on the same broker that refuses nothing. */
async function pair(): Promise<{ adapter: MemoryStreamAdapter; feeder: MemoryStreamAdapter }> {
  const broker = new MemoryBroker();
  const adapter = new MemoryStreamAdapter({ broker, maxMessageBytes: LIMIT });
  const feeder = new MemoryStreamAdapter({ broker });
  adapters.push(adapter, feeder);
  await Promise.all([adapter.open(), feeder.open()]);
  return { adapter, feeder };
}

function raw(queue: string, body: string, headers?: Record<string, string>): OutgoingMessage {
  return { queue, body: encoder.encode(body), headers };
}

/** Hides `deadLetter` from the consumers it opens: an adapter without the capability. */
class NoDeadLetter extends PassThroughAdapter {
  override async consume(queue: string, options: ConsumeOptions): Promise<StreamConsumer> {
    const consumer = await this.inner.consume(queue, options);
    return {
      queue: consumer.queue,
      nextBatch: (o) => consumer.nextBatch(o),
      ack: (d) => consumer.ack(d),
      requeue: (d) => consumer.requeue(d),
      close: () => consumer.close(),
    };
  }
}

const passSystem = defineSystem({
  name: 'poison',
  nodes: [
    {
      name: 'PASS',
      batchSize: 5,
      transform: (value: string) => (value === 'grow' ? 'x'.repeat(2 * LIMIT) : value),
    },
  ],
});

/** A node whose input 'flaky' fails its first attempt, so it needs a retry copy. */
function flakySystem(name: string): System {
  return defineSystem({
    name: 'poison',
    nodes: [
      {
        name,
        retry: { maxAttempts: 3, initialDelayMs: 10 },
        transform: (value: string) => {
          if (value === 'flaky') throw new Error('try again');
          return value;
        },
      },
    ],
  });
}

/** Publishes 'flaky', with a header so large its retry copy is refused, then 'fine'. */
async function feedFlakyAndFine(feeder: MemoryStreamAdapter, queue: string): Promise<void> {
  await feeder.declareQueue(queue);
  await feeder.publish([
    raw(queue, '"flaky"', { big: 'h'.repeat(LIMIT - 100) }),
    raw(queue, '"fine"'),
  ]);
}

describe('poison isolation', () => {
  it('poison - an output the stream refuses fails its message only; the rest of the batch is placed and acked', async () => {
    const { adapter, feeder } = await pair();
    const node = await started(createNode(passSystem, 'PASS', { adapter }));
    await push(feeder, 'START-to-PASS', ['a', 'b', 'grow', 'c', 'd']);
    expect(await takeValues(feeder, 'PASS-to-END', 4)).toEqual(['a', 'b', 'c', 'd']);
    const failed = await takeNonRetryable(feeder, 'PASS-fail', 'place', 'MessageRefusedError');
    expect(jsonCodec.decode(failed.body)).toBe('grow');
    await node.drain(1000);
    expect(node.state).toBe('stopped');
    expect(node.stats()).toMatchObject({ processed: 4, failed: 1, batches: 1 });
    expect(await feeder.queueStats('START-to-PASS')).toMatchObject({ ready: 0, unacked: 0 });
    expect(await feeder.queueStats('PASS-to-END')).toMatchObject({ ready: 0 });
  });

  it('poison - with fan-out and concurrent transforms, refused outputs are traced to their message, failed once', async () => {
    const { adapter, feeder } = await pair();
    const system = defineSystem({
      name: 'poison',
      nodes: [
        {
          name: 'FAN',
          batchSize: 6,
          concurrency: 3,
          dest: ['FAN-left', 'FAN-right'],
          transform: async (value: string) => {
            await new Promise((resolve) => setTimeout(resolve, value === 'a' ? 20 : 1));
            return value === 'grow' || value === 'swell' ? 'x'.repeat(2 * LIMIT) : value;
          },
        },
      ],
    });
    const node = await started(createNode(system, 'FAN', { adapter }));
    await push(feeder, 'START-to-FAN', ['a', 'grow', 'b', 'c', 'swell', 'd']);
    for (const queue of ['FAN-left', 'FAN-right'])
      expect(await takeValues(feeder, queue, 4)).toEqual(['a', 'b', 'c', 'd']);
    const failed = await take(feeder, 'FAN-fail', 2);
    expect(failed.map((d) => jsonCodec.decode(d.body))).toEqual(['grow', 'swell']);
    await node.drain(1000);
    expect(node.stats()).toMatchObject({ processed: 4, failed: 2 });
    expect(await feeder.queueStats('FAN-fail')).toMatchObject({ ready: 0 });
    expect(await feeder.queueStats('START-to-FAN')).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('poison - a refused fail-queue copy is placed trimmed: failure headers and body, the largest headers dropped and named', async () => {
    const { adapter, feeder } = await pair();
    await started(createNode(passSystem, 'PASS', { adapter }));
    await feeder.declareQueue('START-to-PASS');
    await feeder.publish([
      raw('START-to-PASS', '"ok-1"'),
      // Not JSON, so it fails at decode, with a header that makes its full fail copy too large.
      raw('START-to-PASS', 'not json', { trace: 't-9', big: 'h'.repeat(LIMIT) }),
      raw('START-to-PASS', '"ok-2"'),
    ]);
    expect(await takeValues(feeder, 'PASS-to-END', 2)).toEqual(['ok-1', 'ok-2']);
    const [failed] = await take(feeder, 'PASS-fail', 1);
    expect(new TextDecoder().decode(failed!.body)).toBe('not json');
    expect(failed!.headers).toMatchObject({
      trace: 't-9',
      [MonomythHeader.DroppedHeaders]: 'big',
      [MonomythHeader.ErrorName]: 'BodyCodecError',
      [MonomythHeader.Step]: 'pull',
    });
    expect(failed!.headers.big).toBeUndefined();
  });

  it('poison - a body too large for any copy is dead-lettered by the stream itself, unchanged', async () => {
    const { adapter, feeder } = await pair();
    await started(createNode(passSystem, 'PASS', { adapter }));
    await feeder.declareQueue('START-to-PASS');
    const huge = 'z'.repeat(2 * LIMIT);
    await feeder.publish([
      raw('START-to-PASS', '"ok-1"'),
      raw('START-to-PASS', huge, { trace: 't-1' }),
      raw('START-to-PASS', '"ok-2"'),
    ]);
    expect(await takeValues(feeder, 'PASS-to-END', 2)).toEqual(['ok-1', 'ok-2']);
    const [failed] = await take(feeder, 'PASS-fail', 1);
    expect(new TextDecoder().decode(failed!.body)).toBe(huge);
    expect(failed!.headers).toEqual({ trace: 't-1' });
    expect(await feeder.queueStats('START-to-PASS')).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('poison - without dead-lettering, the last resort is a copy without the body that says how much was dropped', async () => {
    const { adapter, feeder } = await pair();
    const node = await started(
      createNode(passSystem, 'PASS', { adapter: new NoDeadLetter(adapter) }),
    );
    await feeder.declareQueue('START-to-PASS');
    await feeder.publish([
      raw('START-to-PASS', 'z'.repeat(2 * LIMIT), { trace: 't-1' }),
      raw('START-to-PASS', '"ok"'),
    ]);
    expect(await takeValues(feeder, 'PASS-to-END', 1)).toEqual(['ok']);
    const [failed] = await take(feeder, 'PASS-fail', 1);
    expect(failed!.body.byteLength).toBe(0);
    expect(failed!.headers).toMatchObject({
      [MonomythHeader.BodyDropped]: 2 * LIMIT,
      [MonomythHeader.DroppedHeaders]: 'trace',
      [MonomythHeader.ErrorName]: 'BodyCodecError',
    });
    expect(node.state).toBe('running');
  });

  it('poison - a retry copy the stream refuses sends its message to the fail queue instead', async () => {
    const { adapter, feeder } = await pair();
    const system = flakySystem('FLAKY');
    const node = await started(createNode(system, 'FLAKY', { adapter }));
    await feedFlakyAndFine(feeder, 'START-to-FLAKY');
    expect(await takeValues(feeder, 'FLAKY-to-END', 1)).toEqual(['fine']);
    const [failed] = await take(feeder, 'FLAKY-fail', 1);
    expect(failed!.headers).toMatchObject({ [MonomythHeader.ErrorName]: 'MessageRefusedError' });
    expect(node.state).toBe('running');
  });

  it('poison - on an adapter that cannot retry later, a held retry whose copy is refused goes to the fail queue', async () => {
    const { adapter, feeder } = await pair();
    const system = flakySystem('HELD');
    // NoDeadLetter has no retryLater either: the node holds the retry and publishes its copy itself.
    const node = await started(createNode(system, 'HELD', { adapter: new NoDeadLetter(adapter) }));
    await feedFlakyAndFine(feeder, 'START-to-HELD');
    expect(await takeValues(feeder, 'HELD-to-END', 1)).toEqual(['fine']);
    const [failed] = await take(feeder, 'HELD-fail', 1);
    expect(failed!.headers).toMatchObject({
      [MonomythHeader.ErrorName]: 'MessageRefusedError',
      [MonomythHeader.DroppedHeaders]: 'big',
    });
    expect(node.state).toBe('running');
    expect(await feeder.queueStats('START-to-HELD')).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('redelivery - a message that came back more than maxRedeliveries times is failed without running; one within it runs', async () => {
    const { feeder } = await pair();
    let runs = 0;
    const system = defineSystem({
      name: 'poison',
      nodes: [
        {
          name: 'CRASHY',
          retry: { maxRedeliveries: 2 },
          transform: (value: string) => {
            runs += 1;
            return value;
          },
        },
      ],
    });
    // Hand them out and give them back, as if the nodes that held them had crashed: 'thrice' five times, 'twice'
    // twice.
    await push(feeder, 'START-to-CRASHY', ['thrice']);
    const consumer = await feeder.consume('START-to-CRASHY', { maxUnacked: 2 });
    for (let round = 0; round < 3; round++)
      await consumer.requeue(await consumer.nextBatch({ max: 1, timeoutMs: 0 }));
    await push(feeder, 'START-to-CRASHY', ['twice']);
    for (let round = 0; round < 2; round++) {
      const batch = await consumer.nextBatch({ max: 2, timeoutMs: 0 });
      expect(batch).toHaveLength(2);
      await consumer.requeue(batch);
    }
    await consumer.close();
    await started(createNode(system, 'CRASHY', { adapter: feeder }));
    expect(await takeValues(feeder, 'CRASHY-to-END', 1)).toEqual(['twice']);
    const [failed] = await take(feeder, 'CRASHY-fail', 1);
    expect(jsonCodec.decode(failed!.body)).toBe('thrice');
    expect(failed!.headers).toMatchObject({
      [MonomythHeader.ErrorName]: 'RedeliveryLimitError',
      [MonomythHeader.Redeliveries]: 5,
      [MonomythHeader.Step]: 'pull',
    });
    expect(runs).toBe(1);
  });

  it('redelivery - maxRedeliveries is checked like the other options', () => {
    const system = defineSystem({
      name: 's',
      nodes: [{ name: 'N', transform: (v: unknown) => v }],
    });
    const recipe = system.recipe('N');
    expect(recipe.retry.maxRedeliveries).toBe(10);
    const bad = { ...recipe, retry: { ...recipe.retry, maxRedeliveries: -1 } };
    expect(() => compileRecipe(bad, system.definition('N'))).toThrow(InvalidRecipeError);
    const old = { ...recipe, retry: { ...recipe.retry, maxRedeliveries: undefined } };
    expect(compileRecipe(old, system.definition('N')).retry.maxRedeliveries).toBe(10);
  });
});
