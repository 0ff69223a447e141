/**
 * Poison isolation on a real RabbitMQ: a message whose fail-queue copy amqplib cannot encode, a body over
 * `maxMessageBytes`, an output too large, and messages that keep coming back. In each, the rest of the batch flows, the
 * bad message ends in the fail queue, and the node keeps running.
 */
import { createNode, defineSystem, jsonCodec } from '@monomyth/node';
import { MonomythHeader } from '@monomyth/node/adapter';
import type { Delivery, StreamConsumer } from '@monomyth/node/adapter';
import { describe, expect, it } from 'vitest';
import { UNROUTED_DEAD_LETTERS } from '../src/queue-arguments.js';
import { collect, openedInTest, publishValues, uniqueName, until, valuesOf } from './helpers.js';

const { open, run } = openedInTest();
const encoder = new TextEncoder();

function upperSystem(type: string, extra: { maxRedeliveries?: number; calls?: string[] } = {}) {
  return defineSystem({
    name: 'poison',
    nodes: [
      {
        name: type,
        batchSize: 10,
        batchTimeoutMs: 20,
        retry: { maxRedeliveries: extra.maxRedeliveries },
        transform: (value: string) => {
          extra.calls?.push(value);
          return value === 'grow' ? 'g'.repeat(20_000) : value.toUpperCase();
        },
      },
    ],
  });
}

async function pullOne(consumer: StreamConsumer, waitMs = 2_000): Promise<Delivery[]> {
  return consumer.nextBatch({ max: 1, timeoutMs: 0, signal: AbortSignal.timeout(waitMs) });
}

describe('rabbitmq poison isolation', () => {
  it('poison - a fail copy amqplib cannot encode (headers over 64 KiB) is trimmed; the batch goes on, with no duplicates', async () => {
    const adapter = await open();
    const type = uniqueName('HEADERS');
    const source = `START-to-${type}`;
    const good = Array.from({ length: 10 }, (_, i) => `ok${i}`);
    await adapter.declareQueue(source);
    // A header table just under amqplib's 64 KiB buffer: the original can be published, its fail copy (with the
    // failure headers added) cannot be encoded.
    await adapter.publish([
      ...good.slice(0, 5).map((value) => ({ queue: source, body: jsonCodec.encode(value) })),
      {
        queue: source,
        body: encoder.encode('not json'),
        headers: { big: 'h'.repeat(65_000), trace: 't-1' },
      },
      ...good.slice(5).map((value) => ({ queue: source, body: jsonCodec.encode(value) })),
    ]);
    const node = await run(createNode(upperSystem(type), type, { adapter }));

    const failed = await collect(adapter, `${type}-fail`, (got) => got.length >= 1, 10_000);
    expect(new TextDecoder().decode(failed[0]!.body)).toBe('not json');
    expect(failed[0]!.headers).toMatchObject({
      trace: 't-1',
      [MonomythHeader.DroppedHeaders]: 'big',
      [MonomythHeader.ErrorName]: 'BodyCodecError',
      [MonomythHeader.Step]: 'pull',
    });
    const outputs = await collect(adapter, `${type}-to-END`, (got) => got.length >= 10, 10_000);
    expect(valuesOf(outputs)).toEqual(good.map((value) => value.toUpperCase()));
    expect(node.state).toBe('running');
    await node.drain(5_000);
    expect(node.stats()).toMatchObject({ processed: 10, failed: 1 });
    expect(await adapter.queueStats(`${type}-to-END`)).toMatchObject({ ready: 0 });
    expect(await adapter.queueStats(source)).toMatchObject({ ready: 0, unacked: 0 });
  });

  it('poison - a body over maxMessageBytes is dead-lettered by the broker, untouched; an output over it fails its message', async () => {
    const feeder = await open();
    const adapter = await open({ maxMessageBytes: 10_000 });
    const type = uniqueName('BIG');
    const source = `START-to-${type}`;
    const huge = 'z'.repeat(20_000);
    await feeder.declareQueue(source);
    await feeder.publish([
      { queue: source, body: jsonCodec.encode('a') },
      { queue: source, body: encoder.encode(huge), headers: { trace: 't-2' } },
      { queue: source, body: jsonCodec.encode('grow') },
      { queue: source, body: jsonCodec.encode('b') },
    ]);
    const node = await run(createNode(upperSystem(type), type, { adapter }));

    const outputs = await collect(adapter, `${type}-to-END`, (got) => got.length >= 2, 10_000);
    expect(valuesOf(outputs)).toEqual(['A', 'B']);
    const failed = await collect(adapter, `${type}-fail`, (got) => got.length >= 2, 10_000);
    const byBody = new Map(failed.map((d) => [new TextDecoder().decode(d.body), d]));
    // The original, moved by the broker: its body and headers as published, no failure headers.
    expect(byBody.get(huge)?.headers).toMatchObject({ trace: 't-2' });
    expect(byBody.get(huge)?.headers[MonomythHeader.ErrorName]).toBeUndefined();
    expect(byBody.get('"grow"')?.headers).toMatchObject({
      [MonomythHeader.ErrorName]: 'MessageRefusedError',
      [MonomythHeader.Step]: 'place',
    });
    expect(node.state).toBe('running');
    await node.drain(5_000);
    expect(await adapter.queueStats(source)).toMatchObject({ ready: 0, unacked: 0 });
  });

  for (const queueType of ['quorum', 'classic'] as const) {
    it(`redelivery - on ${queueType} queues, a message that came back more than maxRedeliveries times is failed without running`, async () => {
      const adapter = await open({ queueType });
      const type = uniqueName(`LOOP-${queueType}`);
      const source = `START-to-${type}`;
      await publishValues(adapter, source, ['loop']);
      // Given back three times, as by three nodes that crashed on it (a closing channel returns what it held).
      for (let i = 0; i < 3; i++) {
        const consumer = await adapter.consume(source, { maxUnacked: 1 });
        expect(await pullOne(consumer)).toHaveLength(1);
        await consumer.close();
      }
      await publishValues(adapter, source, ['fine']);
      const calls: string[] = [];
      await run(createNode(upperSystem(type, { maxRedeliveries: 2, calls }), type, { adapter }));
      const outputs = await collect(adapter, `${type}-to-END`, (got) => got.length >= 1, 10_000);
      expect(valuesOf(outputs)).toEqual(['FINE']);
      const failed = await collect(adapter, `${type}-fail`, (got) => got.length >= 1, 10_000);
      expect(jsonCodec.decode(failed[0]!.body)).toBe('loop');
      expect(failed[0]!.headers).toMatchObject({
        [MonomythHeader.ErrorName]: 'RedeliveryLimitError',
        [MonomythHeader.Step]: 'pull',
      });
      expect(failed[0]!.headers[MonomythHeader.Redeliveries]).toBeGreaterThanOrEqual(3);
      expect(calls).toEqual(['fine']);
    });
  }

  it('delivery limit - dead letters no fail queue is bound for are kept in monomyth.dead-letter.unrouted, not dropped', async () => {
    const adapter = await open({ deliveryLimit: 1 });
    const source = uniqueName('UNBOUND');
    const value = uniqueName('lost-not');
    await publishValues(adapter, source, [value]);
    // Consumers without a failQueue: nothing binds a fail queue for this source's dead letters.
    for (;;) {
      const consumer = await adapter.consume(source, { maxUnacked: 1 });
      const batch = await pullOne(consumer, 500);
      await consumer.close();
      if (batch.length === 0) break;
    }
    const kept = await collect(
      adapter,
      UNROUTED_DEAD_LETTERS,
      (got) => valuesOf(got).includes(value),
      5_000,
    );
    expect(valuesOf(kept)).toContain(value);
  });

  it('delivery limit - on quorum queues the broker dead-letters a message given back past deliveryLimit to the fail queue', async () => {
    const adapter = await open({ deliveryLimit: 2 });
    const type = uniqueName('LIMIT');
    const source = `START-to-${type}`;
    const failQueue = `${type}-fail`;
    await adapter.declareQueue(failQueue);
    await publishValues(adapter, source, ['again']);
    // Consumers that die holding it (their channels close): counted as failed deliveries by every RabbitMQ version.
    let returns = 0;
    for (;;) {
      const consumer = await adapter.consume(source, { maxUnacked: 1, failQueue });
      const batch = await pullOne(consumer, 500);
      await consumer.close();
      if (batch.length === 0) break;
      returns += 1;
      expect(returns).toBeLessThanOrEqual(3);
    }
    expect(returns).toBe(3);
    const failed = await collect(adapter, failQueue, (got) => got.length >= 1, 5_000);
    expect(valuesOf(failed)).toEqual(['again']);
    await until(
      'the source queue empty',
      async () => (await adapter.queueStats(source)).ready === 0,
      5_000,
    );
  });
});
