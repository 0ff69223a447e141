/** Conformance: acknowledging, requeueing, redelivery, and the fail-queue pattern (publish a copy, then ack). */
import { MonomythHeader, StreamErrorCode } from '@monomyth/node/adapter';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { at, publishTexts, pullExactly, pullFor, rejectionOf, texts } from './context.js';

export function settleCases(ctx: ConformanceContext): void {
  it('ack - many at once; acked messages never come back', async () => {
    const { adapter, queue, consumer } = await ctx.consumerOfTexts(['a', 'b', 'c', 'd'], 10);
    const got = await pullExactly(consumer, 4, ctx.deliveryTimeoutMs);
    await consumer.ack([at(got, 0), at(got, 1), at(got, 3)]);
    await consumer.close();

    const again = await adapter.consume(queue, { maxUnacked: 10 });
    const back = await pullExactly(again, 1, ctx.deliveryTimeoutMs);
    expect(texts(back)).toEqual(['c']);
    expect(await pullFor(again, 10, ctx.quietMs)).toEqual([]);
  });

  it('ack - settling a delivery twice rejects with UNKNOWN_DELIVERY', async () => {
    const { consumer } = await ctx.consumerOfTexts(['once'], 1);
    const delivery = at(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs), 0);
    await consumer.ack([delivery]);
    expect(await rejectionOf(consumer.ack([delivery]))).toMatchObject({
      code: StreamErrorCode.UnknownDelivery,
    });
    expect(await rejectionOf(consumer.requeue([delivery]))).toMatchObject({
      code: StreamErrorCode.UnknownDelivery,
    });
  });

  it('requeue - deliveries come back first, in order, redelivered, with their attempt unchanged', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    await adapter.publish([
      { queue, body: new TextEncoder().encode('r1'), headers: { [MonomythHeader.Attempt]: 2 } },
      { queue, body: new TextEncoder().encode('r2') },
      { queue, body: new TextEncoder().encode('r3') },
    ]);
    const consumer = await adapter.consume(queue, { maxUnacked: 2 });
    const first = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    await consumer.requeue(first);
    const again = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    expect(again.map((d) => [texts([d])[0], d.attempt, d.redelivered])).toEqual([
      ['r1', 2, true],
      ['r2', 1, true],
    ]);
    await consumer.ack(again);
    const last = await pullExactly(consumer, 1, ctx.deliveryTimeoutMs);
    expect(last.map((d) => [texts([d])[0], d.redelivered])).toEqual([['r3', false]]);
  });

  it('redelivery - what a consumer holds when it closes comes back, redelivered, to the next consumer', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    await publishTexts(adapter, queue, ['x', 'y', 'z']);
    const first = await adapter.consume(queue, { maxUnacked: 3 });
    const held = await pullExactly(first, 3, ctx.deliveryTimeoutMs);
    await first.ack([at(held, 1)]);
    await first.close();
    const second = await adapter.consume(queue, { maxUnacked: 3 });
    const back = await pullExactly(second, 2, ctx.deliveryTimeoutMs);
    expect(back.map((d) => [texts([d])[0], d.redelivered])).toEqual([
      ['x', true],
      ['z', true],
    ]);
  });

  it('redelivery - a pending nextBatch rejects with CONSUMER_CLOSED when its consumer closes', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    const consumer = await adapter.consume(queue, { maxUnacked: 1 });
    const pending = consumer.nextBatch({ max: 1, timeoutMs: 10 });
    await consumer.close();
    expect(await rejectionOf(pending)).toMatchObject({ code: StreamErrorCode.ConsumerClosed });
  });

  it('fail queue - a copy published with failure headers, then the original acked, leaves exactly the copy', async () => {
    const adapter = await ctx.connect();
    const source = await ctx.freshQueue(adapter, 'source');
    const fail = await ctx.freshQueue(adapter, 'fail');
    await adapter.publish([
      { queue: source, body: new TextEncoder().encode('poison'), headers: { trace: 't-9' } },
    ]);
    const consumer = await adapter.consume(source, { maxUnacked: 1 });
    const original = at(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs), 0);
    await adapter.publish([
      {
        queue: fail,
        body: original.body,
        headers: {
          ...original.headers,
          [MonomythHeader.ErrorMessage]: 'bad input',
          [MonomythHeader.Step]: 'transform',
          [MonomythHeader.Attempts]: 3,
          [MonomythHeader.NonRetryable]: false,
        },
      },
    ]);
    await consumer.ack([original]);
    await consumer.close();

    const failures = await adapter.consume(fail, { maxUnacked: 5 });
    const copy = at(await pullExactly(failures, 1, ctx.deliveryTimeoutMs), 0);
    expect(texts([copy])).toEqual(['poison']);
    expect(copy.headers).toMatchObject({
      trace: 't-9',
      [MonomythHeader.ErrorMessage]: 'bad input',
      [MonomythHeader.Step]: 'transform',
      [MonomythHeader.Attempts]: 3,
      [MonomythHeader.NonRetryable]: false,
    });
    expect(await pullFor(await adapter.consume(source, { maxUnacked: 1 }), 1, ctx.quietMs)).toEqual(
      [],
    );
  });
}
