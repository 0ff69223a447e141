import { connect } from 'amqplib';
import { createNode, defineSystem, jsonCodec } from '@monomyth/node';
import { MonomythHeader, StreamErrorCode } from '@monomyth/node/adapter';
import { freePort } from '@monomyth/testing';
import { describe, expect, inject, it } from 'vitest';
import { RabbitMqConnectionError, RabbitMqStreamAdapter, retryQueueName } from '../src/index.js';
import { collect, openedInTest, publishValues, uniqueName, until, valuesOf } from './helpers.js';

const { open, run } = openedInTest();

describe('rabbitmq failures', () => {
  it('poison - reaches the fail queue after maxAttempts with why it failed, while the rest keep flowing', async () => {
    const adapter = await open();
    const type = uniqueName('POISON');
    const system = defineSystem({
      name: 'poison',
      nodes: [
        {
          name: type,
          batchSize: 10,
          batchTimeoutMs: 10,
          retry: { maxAttempts: 3, initialDelayMs: 400, multiplier: 2, jitter: 0 },
          transform: (value: string) => {
            if (value === 'poison') throw new Error('cannot digest poison');
            return value.toUpperCase();
          },
        },
      ],
    });
    const source = `START-to-${type}`;
    const output = `${type}-to-END`;
    const fail = `${type}-fail`;
    const others = Array.from({ length: 200 }, (_, i) => `ok${i}`);
    // The poison is first in line: everything behind it must pass while it waits for its retries.
    await publishValues(adapter, source, ['poison', ...others], 50);
    const node = await run(createNode(system, type, { adapter, worker: 'worker-7' }));

    const outputs = await collect(adapter, output, (got) => got.length >= others.length, 10_000);
    expect(valuesOf(outputs)).toEqual(others.map((value) => value.toUpperCase()));
    // The rest is through before the poison's retries are over.
    expect((await adapter.queueStats(fail)).ready).toBe(0);
    // While it waits, the poison sits in a retry queue on the broker: nothing is held unacknowledged. (The broker sends
    // no event for counts: poll them, with a deadline.)
    const readyIn = async (queue: string): Promise<number> =>
      adapter.queueStats(queue).then(
        (stats) => stats.ready,
        () => 0, // a retry queue is declared on first use
      );
    await until(
      'the poison alone in a retry queue',
      async () => {
        const stats = await adapter.queueStats(source);
        const waiting =
          (await readyIn(retryQueueName(source, 400))) +
          (await readyIn(retryQueueName(source, 800)));
        return stats.ready === 0 && stats.unacked === 0 && waiting === 1;
      },
      5_000,
      20,
    );

    const failed = await collect(adapter, fail, (got) => got.length >= 1, 10_000);
    expect(failed).toHaveLength(1);
    const copy = failed[0]!;
    expect(jsonCodec.decode(copy.body)).toBe('poison');
    expect(copy.headers).toMatchObject({
      [MonomythHeader.ErrorMessage]: 'cannot digest poison',
      [MonomythHeader.ErrorName]: 'Error',
      [MonomythHeader.Step]: 'transform',
      [MonomythHeader.NodeType]: type,
      [MonomythHeader.NodeName]: node.name,
      [MonomythHeader.Worker]: 'worker-7',
      [MonomythHeader.Attempts]: 3,
      [MonomythHeader.Attempt]: 3,
      [MonomythHeader.SourceQueue]: source,
      [MonomythHeader.NonRetryable]: false,
    });
    const first = Date.parse(String(copy.headers[MonomythHeader.FirstFailureAt]));
    const last = Date.parse(String(copy.headers[MonomythHeader.LastFailureAt]));
    // Two delays (400 + 800 ms) between the first and the last failure.
    expect(last - first).toBeGreaterThanOrEqual(1150);
    // The broker's own dead-letter records (x-death, a list of tables) are not passed on as headers.
    expect(Object.keys(copy.headers).filter((name) => name.startsWith('x-death'))).toEqual([]);
    expect(node.stats()).toMatchObject({ processed: 200, failed: 1, retried: 2 });
  });

  it('fail queue - with a dead-letter exchange, fail copies reach the fail queue and the user’s own bindings', async () => {
    const exchange = uniqueName('monomyth.failures');
    const adapter = await open({ deadLetterExchange: exchange });
    const type = uniqueName('DLX');
    const fail = `${type}-fail`;
    await adapter.declareQueue(fail);
    const alerts = uniqueName('alerts');
    await adapter.declareQueue(alerts);
    const raw = await connect(inject('amqpUrl'));
    try {
      const channel = await raw.createChannel();
      await channel.bindQueue(alerts, exchange, '#');
    } finally {
      await raw.close();
    }
    await adapter.publish([{ queue: fail, body: jsonCodec.encode('bad'), headers: { why: 'x' } }]);
    const inFail = await collect(adapter, fail, (got) => got.length >= 1, 5_000);
    const inAlerts = await collect(adapter, alerts, (got) => got.length >= 1, 5_000);
    expect([...valuesOf(inFail), ...valuesOf(inAlerts)]).toEqual(['bad', 'bad']);
    expect(inAlerts[0]!.headers).toMatchObject({ why: 'x' });
  });

  it('quorum - queues and retry queues declared as quorum queues; a retry copy comes back through them', async () => {
    const adapter = await open({ queueArguments: { 'x-queue-type': 'quorum' } });
    const queue = uniqueName('quorum');
    await publishValues(adapter, queue, ['again']);
    const consumer = await adapter.consume(queue, { maxUnacked: 1 });
    const [original] = await consumer.nextBatch({
      max: 1,
      timeoutMs: 0,
      signal: AbortSignal.timeout(5_000),
    });
    await adapter.retryLater([
      { delivery: original!, delayMs: 100, headers: { [MonomythHeader.Attempt]: 2 } },
    ]);
    await consumer.ack([original!]);
    const [copy] = await consumer.nextBatch({
      max: 1,
      timeoutMs: 0,
      signal: AbortSignal.timeout(5_000),
    });
    expect([jsonCodec.decode(copy!.body), copy!.attempt]).toEqual(['again', 2]);
    await consumer.ack([copy!]);
    // Declared with other arguments, the same name is refused with a message that says why.
    const classic = await open({ queueType: 'classic' });
    await expect(classic.declareQueue(queue)).rejects.toThrow(/PRECONDITION_FAILED|inequivalent/);
  });

  it('publish - a queue deleted under a running adapter: its messages are named as unroutable (UNKNOWN_QUEUE), not dropped silently', async () => {
    const adapter = await open();
    const queue = uniqueName('deleted');
    await adapter.declareQueue(queue);
    await adapter.publish([{ queue, body: jsonCodec.encode(1) }]);
    const raw = await connect(inject('amqpUrl'));
    try {
      await (await raw.createChannel()).deleteQueue(queue);
    } finally {
      await raw.close();
    }
    const other = uniqueName('still-fine');
    await adapter.declareQueue(other);
    // The basic.return names the message that had no route; the others of the call are stored.
    await expect(
      adapter.publish([
        { queue: other, body: jsonCodec.encode('yes') },
        { queue, body: jsonCodec.encode(2) },
      ]),
    ).rejects.toMatchObject({
      code: StreamErrorCode.MessagesRejected,
      rejected: [{ index: 1, cause: { code: StreamErrorCode.UnknownQueue, queue } }],
    });
    // The adapter keeps working, and knows the queue is gone.
    await expect(adapter.publish([{ queue, body: jsonCodec.encode(3) }])).rejects.toMatchObject({
      code: StreamErrorCode.UnknownQueue,
    });
    expect(valuesOf(await collect(adapter, other, (got) => got.length >= 1, 5_000))).toEqual([
      'yes',
    ]);
  });

  it('connect - wrong credentials fail at once with the URL, its password redacted', async () => {
    const url = inject('amqpUrl').replace('guest:guest@', 'guest:not-the-password@');
    const adapter = new RabbitMqStreamAdapter({ url });
    const error = await adapter.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RabbitMqConnectionError);
    expect(error).toMatchObject({ code: 'RMQ_CONNECTION_FAILED', reason: 'access-refused' });
    const message = (error as Error).message;
    expect(message).toContain('amqp://guest:***@127.0.0.1:');
    expect(message).not.toContain('not-the-password');
    await expect(adapter.declareQueue('q')).rejects.toMatchObject({
      code: StreamErrorCode.AdapterClosed,
    });
    await adapter.close();
  });

  it('connect - an unreachable broker fails with the URL, its password redacted', async () => {
    const port = await freePort();
    const adapter = new RabbitMqStreamAdapter({
      url: `amqp://app:s3cr3t-pass@127.0.0.1:${port}/prod`,
      connectTimeoutMs: 2_000,
    });
    const error = await adapter.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'RMQ_CONNECTION_FAILED', reason: 'unreachable' });
    expect((error as Error).message).toContain(`amqp://app:***@127.0.0.1:${port}/prod`);
    expect((error as Error).message).not.toContain('s3cr3t');
    await adapter.close();
  });
});
