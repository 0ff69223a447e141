/**
 * The RabbitMQ adapter's ordered publish lanes (`OrderedPublishCapable`), on the shared broker: calls made without
 * waiting are stored in call order, on one channel, each resolving on its own confirms and refusals; nacked messages
 * are sent again without the lane's other calls being sent twice; calls in flight when the connection drops are sent
 * again, none lost; a closed lane gives its channel back.
 */
import { jsonCodec } from '@monomyth/node';
import { MessagesRejectedError, isOrderedPublishCapable } from '@monomyth/node/adapter';
import type { OutgoingMessage } from '@monomyth/node/adapter';
import { connect } from 'amqplib';
import { describe, expect, inject, it } from 'vitest';
import type { RabbitMqStreamAdapter } from '../src/index.js';
import { collect, openedInTest, uniqueName, valuesOf } from './helpers.js';

const { open, startProxy } = openedInTest();

function texts(queue: string, values: readonly string[]): OutgoingMessage[] {
  return values.map((value) => ({ queue, body: jsonCodec.encode(value) }));
}

/** `calls` calls of `size` messages each, `c.i`. */
function numbered(calls: number, size: number): string[][] {
  return Array.from({ length: calls }, (_, c) =>
    Array.from({ length: size }, (_, i) => `${c}.${i}`),
  );
}

/** The publisher's channels (open, and idle in its pool): internals, read to show what a lane holds. */
function channels(adapter: RabbitMqStreamAdapter): { open: number; idle: number } {
  const publisher = (adapter as unknown as { publisher: { open: Set<unknown>; idle: unknown[] } })
    .publisher;
  return { open: publisher.open.size, idle: publisher.idle.length };
}

describe('rabbitmq ordered publish lanes', () => {
  it('lane - calls made without waiting are stored in call order, even when the first must check an unknown queue', async () => {
    const adapter = await open();
    expect(isOrderedPublishCapable(adapter)).toBe(true);
    const queue = uniqueName('LANE');
    const elsewhere = uniqueName('LANE-OTHER');
    await adapter.declareQueue(queue);
    // Declared by another adapter: this one checks it exists (a round trip) before it publishes there.
    const other = await open();
    await other.declareQueue(elsewhere);

    // Without a lane, the second call is written while the first still checks: it lands first.
    await Promise.all([
      adapter.publish([...texts(elsewhere, ['x']), ...texts(queue, ['a'])]),
      adapter.publish(texts(queue, ['b'])),
    ]);
    expect(valuesOf(await collect(other, queue, (got) => got.length >= 2, 5000))).toEqual([
      'b',
      'a',
    ]);

    const elsewhere2 = uniqueName('LANE-OTHER');
    await other.declareQueue(elsewhere2);
    const lane = adapter.publishLane();
    const calls = numbered(20, 25);
    await Promise.all([
      lane.publish([...texts(elsewhere2, ['x']), ...texts(queue, calls[0]!)]),
      ...calls.slice(1).map((values) => lane.publish(texts(queue, values))),
    ]);
    const got = valuesOf(await collect(other, queue, (read) => read.length >= 500, 5000));
    expect(got).toEqual(calls.flat());
    lane.close();
  });

  it('lane - its calls in flight share one channel, which goes back to the pool once the lane is closed', async () => {
    const adapter = await open();
    const queue = uniqueName('LANE');
    await adapter.declareQueue(queue);
    const lane = adapter.publishLane();
    const calls = numbered(10, 50).map((values) => lane.publish(texts(queue, values)));
    await Promise.all(calls);
    expect(channels(adapter)).toEqual({ open: 1, idle: 0 });
    lane.close();
    expect(channels(adapter)).toEqual({ open: 1, idle: 1 });
    // A plain publish takes the pooled channel; a call on the closed lane still publishes.
    await adapter.publish(texts(queue, ['after']));
    await lane.publish(texts(queue, ['closed lane']));
    expect(channels(adapter).open).toBe(1);
    const got = valuesOf(await collect(adapter, queue, (read) => read.length >= 502, 5000));
    expect(got.slice(-2)).toEqual(['after', 'closed lane']);
  });

  it('lane - a refused message is its own call’s: the calls around it resolve, and it is named by its index in its call', async () => {
    const adapter = await open({ maxMessageBytes: 64 });
    const queue = uniqueName('LANE');
    await adapter.declareQueue(queue);
    const lane = adapter.publishLane();
    const outcomes = await Promise.allSettled([
      lane.publish(texts(queue, ['a', 'b'])),
      lane.publish(texts(queue, ['c', 'x'.repeat(100), 'd'])),
      lane.publish(texts(queue, ['e'])),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const error = (outcomes[1] as PromiseRejectedResult).reason as MessagesRejectedError;
    expect(error).toBeInstanceOf(MessagesRejectedError);
    expect(error.rejected.map((message) => message.index)).toEqual([1]);
    expect(valuesOf(await collect(adapter, queue, (got) => got.length >= 5, 5000))).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  it('lane - nacked messages are sent again alone: every message stored once, and the lane goes on', async () => {
    // A queue of 2 that nacks what does not fit, read from 300 ms on.
    const adapter = await open({
      queueType: 'classic',
      queueArguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' },
    });
    const queue = uniqueName('LANE-NACK');
    await adapter.declareQueue(queue);
    const connection = await connect(inject('amqpUrl'));
    const read: string[] = [];
    try {
      const channel = await connection.createChannel();
      const reading = setTimeout(() => {
        void channel.consume(queue, (message) => {
          if (message === null) return;
          read.push(jsonCodec.decode(message.content) as string);
          channel.ack(message);
        });
      }, 300);
      const lane = adapter.publishLane();
      const calls = numbered(4, 3);
      await Promise.all(calls.map((values) => lane.publish(texts(queue, values))));
      await lane.publish(texts(queue, ['last']));
      await new Promise((resolve) => setTimeout(resolve, 300));
      clearTimeout(reading);
      // Sending a call again whole would store some twice; giving up would lose them.
      expect([...read].sort()).toEqual([...calls.flat(), 'last'].sort());
      lane.close();
      // The channel that nacked was retired and closed; at most the lane's last one is left, in the pool.
      expect(channels(adapter).open).toBeLessThanOrEqual(1);
    } finally {
      await connection.close();
    }
  });

  it('lane - calls in flight when the connection drops are sent again once it is back: none lost', async () => {
    const proxy = await startProxy();
    const adapter = await open({
      url: proxy.urlFor(inject('amqpUrl')),
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    });
    const direct = await open();
    const queue = uniqueName('LANE-CUT');
    await adapter.declareQueue(queue);
    const lane = adapter.publishLane();
    // The broker's confirms are held back: every call is written and waits; then the connection is cut.
    proxy.holdReplies();
    const calls = numbered(10, 20);
    const publishing = Promise.all(calls.map((values) => lane.publish(texts(queue, values))));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await proxy.cut({ refuse: false });
    await publishing;
    const expected = new Set(calls.flat());
    const got = valuesOf(
      await collect(direct, queue, (read) => new Set(valuesOf(read)).size >= expected.size, 10_000),
    );
    expect(new Set(got)).toEqual(expected);
    lane.close();
  });
});
