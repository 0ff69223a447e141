/**
 * What a cluster's failover needs of the adapter, on the shared broker: nacks, re-declarations, and the queue of
 * unrouted dead letters. a nacked message is the broker declining it for now, so the
 * publisher sends again only what was nacked, for a bounded time; and a queue that cannot be declared again on a new
 * connection costs only itself. Nacks come from a classic queue with `x-max-length` and `x-overflow: reject-publish`:
 * it nacks exactly what does not fit, message by message, until a reader makes room (a quorum queue checks its limit
 * after the fact and takes a whole batch in flight). The nacks of a quorum queue whose leader died are the cluster
 * test's (apps/control/test/cluster.test.ts).
 */
import { connect } from 'amqplib';
import { createNode, defineSystem, jsonCodec } from '@monomyth/node';
import { MessagesRejectedError } from '@monomyth/node/adapter';
import { describe, expect, inject, it } from 'vitest';
import {
  RabbitMqPublishNackedError,
  UNROUTED_DEAD_LETTERS,
  queueArgumentsFor,
} from '../src/index.js';
import type { RabbitMqAdapterOptions, RabbitMqStreamAdapter } from '../src/index.js';
import {
  collect,
  openedInTest,
  publishValues,
  recordingLogger,
  uniqueName,
  until,
  valuesOf,
} from './helpers.js';

/**
 * An adapter whose queues are classic and hold `capacity` messages, nacking what does not fit (`x-overflow:
 * reject-publish`, rather than dropping the oldest), with `options` added; and a fresh queue of it.
 */
async function nackingQueue(
  label: string,
  capacity: number,
  options: Partial<RabbitMqAdapterOptions> = {},
): Promise<{ adapter: RabbitMqStreamAdapter; queue: string }> {
  const adapter = await open({
    queueType: 'classic',
    queueArguments: { 'x-max-length': capacity, 'x-overflow': 'reject-publish' },
    ...options,
  });
  const queue = uniqueName(label);
  await adapter.declareQueue(queue);
  return { adapter, queue };
}

const { open, run, startProxy } = openedInTest();

/**
 * Reads `queue` straight from the broker, acking each message, from `delayMs` on; `stop()` closes the reader after a
 * quiet spell and returns everything read, duplicates included.
 */
async function reader(
  queue: string,
  delayMs: number,
): Promise<{ read: string[]; stop: () => Promise<string[]> }> {
  const connection = await connect(inject('amqpUrl'));
  const channel = await connection.createChannel();
  const read: string[] = [];
  const timer = setTimeout(() => {
    void channel.consume(queue, (message) => {
      if (message === null) return;
      read.push(jsonCodec.decode(message.content) as string);
      channel.ack(message);
    });
  }, delayMs);
  return {
    read,
    stop: async () => {
      clearTimeout(timer);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await connection.close();
      return read;
    },
  };
}

describe('rabbitmq nacks', () => {
  it('nack - only the nacked messages are sent again, until the queue takes them: none lost, none twice', async () => {
    const { adapter, queue } = await nackingQueue('NACKED', 2);
    const values = Array.from({ length: 8 }, (_, i) => `v${i}`);
    // The queue takes 2; the other 6 are nacked until the reader (starting 300 ms later) makes room.
    const reading = await reader(queue, 300);
    await adapter.publish(values.map((value) => ({ queue, body: jsonCodec.encode(value) })));
    const read = await reading.stop();
    // Resending the whole batch would store the first two again; giving up would lose six.
    expect([...read].sort()).toEqual([...values].sort());
    expect(await adapter.queueStats(queue)).toEqual({ ready: 0, unacked: 0, consumers: 0 });
  });

  it('nack - rejects with RabbitMqPublishNackedError naming the queue once nackRetryMs passed', async () => {
    const { adapter, queue } = await nackingQueue('FULL', 1, { nackRetryMs: 300 });
    const started = Date.now();
    const publishing = adapter.publish(
      ['a', 'b', 'c'].map((value) => ({ queue, body: jsonCodec.encode(value) })),
    );
    await expect(publishing).rejects.toThrow(RabbitMqPublishNackedError);
    await expect(publishing).rejects.toThrow(queue);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(5000);
    expect(await adapter.queueStats(queue)).toMatchObject({ ready: 1 });
  });

  it('nack - a message refused for itself is still named at its place in the batch when others were nacked and sent again', async () => {
    const { adapter, queue } = await nackingQueue('MIXED', 1, { maxMessageBytes: 64 });
    const bodies = ['a', 'x'.repeat(100), 'b', 'c'].map((value) => jsonCodec.encode(value));
    const reading = await reader(queue, 200);
    const error = await adapter.publish(bodies.map((body) => ({ queue, body }))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MessagesRejectedError);
    const rejected = (error as MessagesRejectedError).rejected;
    expect(rejected.map((message) => message.index)).toEqual([1]);
    expect([...(await reading.stop())].sort()).toEqual(['a', 'b', 'c']);
  });

  it('nack - the default nackRetryMs is a minute, and 0 rejects at the first nack', async () => {
    const { adapter, queue } = await nackingQueue('NORETRY', 1, { nackRetryMs: 0 });
    expect(adapter.options.nackRetryMs).toBe(0);
    expect((await open()).options.nackRetryMs).toBe(60_000);
    const started = Date.now();
    await expect(
      adapter.publish(['a', 'b'].map((value) => ({ queue, body: jsonCodec.encode(value) }))),
    ).rejects.toThrow(RabbitMqPublishNackedError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('rabbitmq declarations on a new connection', () => {
  it('redeclare - a queue the broker refuses to declare again does not keep the others from resuming; it is tried again later', async () => {
    const proxy = await startProxy();
    const lines: string[] = [];
    const adapter = await open({
      url: proxy.urlFor(inject('amqpUrl')),
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
      logger: recordingLogger(lines),
    });
    const direct = await open();
    const type = uniqueName('REDECLARE');
    const source = `START-to-${type}`;
    const blocked = uniqueName('BLOCKED');
    await adapter.declareQueue(blocked);
    const system = defineSystem({
      name: 'redeclare',
      nodes: [{ name: type, batchSize: 10, batchTimeoutMs: 5, transform: (n: number) => n }],
    });
    const node = await run(createNode(system, type, { adapter }));

    // Behind the adapter's back, the queue comes back as a classic queue: declaring it again as quorum is refused
    // (406).
    const connection = await connect(inject('amqpUrl'));
    const channel = await connection.createChannel();
    await channel.deleteQueue(blocked);
    await channel.assertQueue(blocked, { durable: true });
    await proxy.cut({ refuse: false });
    await publishValues(direct, source, [1, 2, 3]);
    const outputs = await collect(direct, `${type}-to-END`, (got) => got.length >= 3, 15_000);
    expect(valuesOf(outputs).sort()).toEqual([1, 2, 3]);
    expect(node.state).toBe('running');
    expect(lines).toContain(
      `could not declare queue ${JSON.stringify(blocked)} again on the new connection; trying it again later`,
    );

    // Once the classic queue is gone, the retry declares it again, as the adapter declared it.
    await channel.deleteQueue(blocked);
    await connection.close();
    await until(
      'the refused declaration made',
      () => lines.includes('declared again what the new connection could not'),
      10_000,
    );
    expect(await direct.queueStats(blocked)).toMatchObject({ ready: 0 });
    const check = await connect(inject('amqpUrl'));
    try {
      const checkChannel = await check.createChannel();
      // Quorum again: a classic declaration of it is now the one refused.
      checkChannel.on('error', () => {});
      await expect(checkChannel.assertQueue(blocked, { durable: true })).rejects.toThrow(
        /inequivalent/,
      );
    } finally {
      await check.close().catch(() => {});
    }
  });
});

describe('rabbitmq unrouted dead letters', () => {
  it('unrouted - monomyth.dead-letter.unrouted has the queue type (on a cluster a classic queue dies with its node); adapters of both types share it', async () => {
    expect(queueArgumentsFor(UNROUTED_DEAD_LETTERS)).toEqual({ 'x-queue-type': 'quorum' });
    expect(queueArgumentsFor(UNROUTED_DEAD_LETTERS, { queueType: 'classic' })).toEqual({});
    // Whichever type declared it first on this broker, the adapter of the other type keeps it (a 406 is not an error).
    for (const queueType of ['classic', 'quorum'] as const) {
      const adapter = await open({ queueType });
      await adapter.declareQueue(uniqueName(`UNROUTED-${queueType}`));
      await adapter.declareQueue(UNROUTED_DEAD_LETTERS);
      expect(await adapter.queueStats(UNROUTED_DEAD_LETTERS)).toMatchObject({ unacked: 0 });
    }
  });
});
