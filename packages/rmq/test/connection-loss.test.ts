/**
 * Connection loss on the shared broker, through a TCP proxy the test cuts: nodes pause and resume, settling a delivery
 * of the dead channel is a no-op, and an adapter that gives up says so with a typed error.
 */
import { createNode, defineSystem, jsonCodec } from '@monomyth/node';
import { describe, expect, inject, it } from 'vitest';
import { eventually } from '@monomyth/testing';
import type { RabbitMqStreamAdapter } from '../src/index.js';
import { RabbitMqConnectionError } from '../src/index.js';
import { collect, openedInTest, publishValues, uniqueName, valuesOf } from './helpers.js';
import type { TcpProxy } from './tcp-proxy.js';

const { open, run, startProxy } = openedInTest();
let proxy: TcpProxy | undefined;

async function openThroughProxy(maxAttempts?: number): Promise<RabbitMqStreamAdapter> {
  proxy = await startProxy();
  return open({
    url: proxy.urlFor(inject('amqpUrl')),
    reconnect: { minDelayMs: 20, maxDelayMs: 200, maxAttempts },
  });
}

describe('rabbitmq connection loss', () => {
  it('reconnect - a cut connection does not fail the node: it resumes once the broker is reachable again', async () => {
    const adapter = await openThroughProxy();
    expect(adapter.connected).toBe(true);
    // The test's own reader and writer go straight to the broker.
    const direct = await open();
    const type = uniqueName('CUT');
    let transformed = 0;
    const system = defineSystem({
      name: 'cut',
      nodes: [
        {
          name: type,
          batchSize: 10,
          batchTimeoutMs: 5,
          transform: (n: number) => {
            transformed += 1;
            return n;
          },
        },
      ],
    });
    const source = `START-to-${type}`;
    await publishValues(direct, source, [0]);
    const node = await run(createNode(system, type, { adapter }));
    expect(
      valuesOf(await collect(direct, `${type}-to-END`, (got) => got.length >= 1, 5_000)),
    ).toEqual([0]);

    // Cut, and let the adapter find the way back; meanwhile the node must not fail.
    await proxy!.cut({ refuse: true });
    // What a worker's /ready reads: not connected while it reconnects.
    await eventually(
      () => adapter.connected,
      (connected) => !connected,
      { timeoutMs: 5_000 },
    );
    await publishValues(
      direct,
      source,
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    await proxy!.resume();
    const rest = valuesOf(
      await collect(direct, `${type}-to-END`, (got) => new Set(valuesOf(got)).size >= 100, 15_000),
    );
    expect(new Set(rest)).toEqual(new Set(Array.from({ length: 100 }, (_, i) => i + 1)));
    expect(node.state).toBe('running');
    expect(transformed).toBeGreaterThanOrEqual(101);
    expect(adapter.connected).toBe(true);
  });

  it('reconnect - settling a delivery from a channel that died is a no-op, and the broker delivers it again', async () => {
    const adapter = await openThroughProxy();
    const queue = uniqueName('stale');
    await publishValues(adapter, queue, ['held']);
    const consumer = await adapter.consume(queue, { maxUnacked: 5 });
    const signal = AbortSignal.timeout(10_000);
    const [held] = await consumer.nextBatch({ max: 1, timeoutMs: 0, signal });
    await proxy!.cut({ refuse: false });
    // The consumer comes back on a new channel, and the broker hands the message out again.
    const [again] = await consumer.nextBatch({ max: 1, timeoutMs: 0, signal });
    expect([jsonCodec.decode(again!.body), again!.redelivered]).toEqual(['held', true]);
    await consumer.ack([held!]); // its tag belonged to the dead channel: nothing is sent
    await consumer.ack([again!]); // so this one, on the live channel, still works
    await expect(consumer.ack([again!])).rejects.toMatchObject({ code: 'UNKNOWN_DELIVERY' });
    expect(await adapter.queueStats(queue)).toEqual({ ready: 0, unacked: 0, consumers: 1 });
  });

  it('give up - past reconnect.maxAttempts, a waiting pull and every operation reject with RMQ_CONNECTION_FAILED', async () => {
    const adapter = await openThroughProxy(3);
    const queue = uniqueName('gone');
    await adapter.declareQueue(queue);
    const consumer = await adapter.consume(queue, { maxUnacked: 1 });
    const pending = consumer.nextBatch({ max: 1, timeoutMs: 0 });
    pending.catch(() => {});
    await proxy!.cut({ refuse: true });
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RabbitMqConnectionError);
    expect(error).toMatchObject({ code: 'RMQ_CONNECTION_FAILED', reason: 'gave-up' });
    expect((error as Error).message).toMatch(
      /amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+.*3 attempts failed/,
    );
    await expect(adapter.publish([{ queue, body: jsonCodec.encode(1) }])).rejects.toBeInstanceOf(
      RabbitMqConnectionError,
    );
    await expect(adapter.declareQueue(queue)).rejects.toBeInstanceOf(RabbitMqConnectionError);
    // Whoever owns the adapter (a worker process) hears of it once, with the same error.
    expect(await adapter.failed()).toBe(error);
    expect(adapter.connected).toBe(false);
  });
});
