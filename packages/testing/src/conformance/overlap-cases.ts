/**
 * Conformance: what overlapped batches (a node's `batchesInFlight` > 1) ask of an adapter. A node holds several
 * batches from one consumer at once, pulls the next while earlier ones are unsettled, settles them in delivery order
 * with calls that overlap (the next `ack` starts before the previous one resolved), and publishes the next batch
 * before the previous publish resolved: on the adapter, or on one of its ordered lanes when it is
 * `OrderedPublishCapable`, whose calls must then keep their order.
 */
import { isOrderedPublishCapable, MessagesRejectedError } from '@monomyth/node/adapter';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { encoder, Lacks, pullExactly, pullFor, texts } from './context.js';

export function overlapCases(ctx: ConformanceContext): void {
  it('overlap - several batches held at once up to maxUnacked; settling the oldest lets a pending pull go on', async () => {
    const { adapter, queue, consumer } = await ctx.consumerOfTexts(
      ['a', 'b', 'c', 'd', 'e', 'f'],
      4,
    );
    const first = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    const second = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    expect(texts([...first, ...second])).toEqual(['a', 'b', 'c', 'd']);
    // Four held: a pull waits (maxUnacked) until the oldest batch is settled, then gets what follows.
    const pending = consumer.nextBatch({
      max: 2,
      timeoutMs: 10,
      signal: AbortSignal.timeout(ctx.deliveryTimeoutMs),
    });
    let early: string[] | undefined;
    void pending.then((batch) => (early = texts(batch)));
    await new Promise((resolve) => setTimeout(resolve, ctx.quietMs));
    expect(early).toBeUndefined();
    await consumer.ack(first);
    const third = await pending;
    expect(texts(third).length).toBeGreaterThan(0);
    const rest =
      third.length < 2 ? await pullExactly(consumer, 2 - third.length, ctx.deliveryTimeoutMs) : [];
    expect(texts([...third, ...rest])).toEqual(['e', 'f']);
    // Settled in delivery order, each call started before the one before it resolved.
    const settling = [consumer.ack(second), consumer.ack(third)];
    if (rest.length > 0) settling.push(consumer.ack(rest));
    await Promise.all(settling);
    await consumer.close();

    const again = await adapter.consume(queue, { maxUnacked: 10 });
    expect(await pullFor(again, 10, ctx.quietMs)).toEqual([]);
  });

  it('overlap - an ack and a requeue of consecutive batches, overlapping, each settle only their own', async () => {
    const { consumer } = await ctx.consumerOfTexts(['a', 'b', 'c', 'd'], 4);
    const first = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    const second = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    await Promise.all([consumer.requeue(first), consumer.ack(second)]);
    const back = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    expect(back.map((d) => [texts([d])[0], d.redelivered])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    await consumer.ack(back);
    expect(await pullFor(consumer, 10, ctx.quietMs)).toEqual([]);
  });

  it('overlap - publishes that overlap each resolve once their own messages are durable, each in its order', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    const calls = [0, 1, 2, 3].map((call) =>
      ['0', '1', '2', '3', '4'].map((i) => ({ queue, body: encoder.encode(`${call}.${i}`) })),
    );
    await Promise.all(calls.map((messages) => adapter.publish(messages)));
    const reader = await ctx.connect();
    const consumer = await reader.consume(queue, { maxUnacked: 20 });
    const got = texts(await pullExactly(consumer, 20, ctx.deliveryTimeoutMs));
    for (let call = 0; call < 4; call++) {
      expect(got.filter((text) => text.startsWith(`${call}.`))).toEqual(
        ['0', '1', '2', '3', '4'].map((i) => `${call}.${i}`),
      );
    }
  });

  it('lane - calls made without waiting are stored in call order, each resolving once its own messages are durable', async ({
    skip,
  }) => {
    const adapter = await ctx.connect();
    if (!isOrderedPublishCapable(adapter)) return skip(Lacks.publishLane);
    const queue = await ctx.freshQueue(adapter);
    const lane = adapter.publishLane();
    const calls = [0, 1, 2, 3, 4, 5].map((call) =>
      ['0', '1', '2', '3', '4'].map((i) => ({ queue, body: encoder.encode(`${call}.${i}`) })),
    );
    await Promise.all(calls.map((messages) => lane.publish(messages)));
    lane.close();
    const reader = await ctx.connect();
    const consumer = await reader.consume(queue, { maxUnacked: 30 });
    expect(texts(await pullExactly(consumer, 30, ctx.deliveryTimeoutMs))).toEqual(
      calls.flat().map((message) => new TextDecoder().decode(message.body)),
    );
  });

  it('lane - a refused message is named in its own call, by its index there; the calls around it resolve', async ({
    skip,
  }) => {
    const adapter = await ctx.connect();
    if (!isOrderedPublishCapable(adapter)) return skip(Lacks.publishLane);
    const refused = ctx.refusedMessage;
    if (refused === undefined) return skip(Lacks.refusedMessage);
    const queue = await ctx.freshQueue(adapter);
    const lane = adapter.publishLane();
    const text = (value: string) => ({ queue, body: encoder.encode(value) });
    const outcomes = await Promise.allSettled([
      lane.publish([text('a')]),
      lane.publish([text('b'), { queue, ...refused() }, text('c')]),
      lane.publish([text('d')]),
    ]);
    lane.close();
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const error = (outcomes[1] as PromiseRejectedResult).reason as unknown;
    expect(error).toBeInstanceOf(MessagesRejectedError);
    expect((error as MessagesRejectedError).rejected.map((message) => message.index)).toEqual([1]);
    const consumer = await adapter.consume(queue, { maxUnacked: 10 });
    expect(texts(await pullExactly(consumer, 4, ctx.deliveryTimeoutMs))).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('lane - a call after close still publishes, like the adapter', async ({ skip }) => {
    const adapter = await ctx.connect();
    if (!isOrderedPublishCapable(adapter)) return skip(Lacks.publishLane);
    const queue = await ctx.freshQueue(adapter);
    const lane = adapter.publishLane();
    await lane.publish([{ queue, body: encoder.encode('open') }]);
    lane.close();
    lane.close();
    await lane.publish([{ queue, body: encoder.encode('closed') }]);
    const consumer = await adapter.consume(queue, { maxUnacked: 10 });
    expect(texts(await pullExactly(consumer, 2, ctx.deliveryTimeoutMs))).toEqual([
      'open',
      'closed',
    ]);
  });
}
