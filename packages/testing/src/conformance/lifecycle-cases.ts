/** Conformance: open, close with drain, and clear errors on an adapter that is not open. */
import { StreamErrorCode } from '@monomyth/node/adapter';
import type { Delivery } from '@monomyth/node/adapter';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { at, publishTexts, pullExactly, pullFor, rejectionOf, texts } from './context.js';

export function lifecycleCases(ctx: ConformanceContext): void {
  it('lifecycle - every operation before open rejects with ADAPTER_CLOSED', async () => {
    const adapter = await ctx.connectUnopened();
    const queue = ctx.queue('before-open');
    for (const operation of [
      adapter.declareQueue(queue),
      adapter.consume(queue, { maxUnacked: 1 }),
      adapter.publish([{ queue, body: new Uint8Array([1]) }]),
    ]) {
      expect(await rejectionOf(operation)).toMatchObject({ code: StreamErrorCode.AdapterClosed });
    }
  });

  it('lifecycle - close is idempotent, and after it every operation rejects with a clear error', async () => {
    const { adapter, queue, consumer } = await ctx.consumerOfTexts(['a'], 5);
    const held = at(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs), 0);
    const first = adapter.close();
    expect(adapter.close()).toBe(first);
    await first;
    await adapter.close();
    for (const operation of [
      adapter.declareQueue(queue),
      adapter.consume(queue, { maxUnacked: 1 }),
      adapter.publish([{ queue, body: new Uint8Array([1]) }]),
    ]) {
      expect(await rejectionOf(operation)).toMatchObject({ code: StreamErrorCode.AdapterClosed });
    }
    for (const operation of [
      consumer.nextBatch({ max: 1, timeoutMs: 0 }),
      consumer.ack([held]),
      consumer.requeue([held]),
    ]) {
      expect(await rejectionOf(operation)).toMatchObject({ code: StreamErrorCode.ConsumerClosed });
    }
    await consumer.close(); // idempotent too
  });

  it('lifecycle - open is idempotent while open', async () => {
    const adapter = await ctx.connect();
    await adapter.open();
    const queue = await ctx.freshQueue(adapter);
    await publishTexts(adapter, queue, ['still works']);
    const consumer = await adapter.consume(queue, { maxUnacked: 1 });
    expect(texts(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs))).toEqual(['still works']);
  });

  it('close - drains: settling during the drain works, and close waits for it', async () => {
    const { adapter, queue, consumer } = await ctx.consumerOfTexts(['a', 'b', 'c'], 2);
    const held = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    let closed = false;
    const closing = adapter.close({ drainTimeoutMs: ctx.deliveryTimeoutMs * 4 }).then(() => {
      closed = true;
    });
    // While draining: nothing new is handed out or consumed, but work in flight can finish.
    expect(await rejectionOf(adapter.consume(queue, { maxUnacked: 1 }))).toMatchObject({
      code: StreamErrorCode.AdapterClosed,
    });
    await adapter.publish([{ queue, body: new Uint8Array([100]) }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    await consumer.ack(held);
    await closing;
    expect(closed).toBe(true);

    const reader = await ctx.connect();
    const next = await reader.consume(queue, { maxUnacked: 10 });
    const rest = await pullExactly(next, 2, ctx.deliveryTimeoutMs);
    expect(texts(rest.slice(0, 1))).toEqual(['c']);
    expect([...at(rest, 1).body]).toEqual([100]);
  });

  it('close - while it drains, consumers hand out nothing new: neither to a pull begun before it, nor to one begun during it', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    const consumer = await adapter.consume(queue, { maxUnacked: 10 });
    await publishTexts(adapter, queue, ['held']);
    const held = await pullExactly(consumer, 1, ctx.deliveryTimeoutMs);
    // A pull waiting for the next arrival when close() is called.
    const stop = new AbortController();
    const before = consumer.nextBatch({ max: 10, timeoutMs: 0, signal: stop.signal });
    const closing = adapter.close({ drainTimeoutMs: ctx.deliveryTimeoutMs });
    await publishTexts(adapter, queue, ['during']);
    await new Promise((resolve) => setTimeout(resolve, ctx.quietMs));
    stop.abort();
    expect(texts(await handedOutWhileDraining(before))).toEqual([]);
    expect(texts(await handedOutWhileDraining(pullFor(consumer, 10, ctx.quietMs)))).toEqual([]);
    await consumer.ack(held);
    await closing;

    // What was published during the drain waits in the queue, once.
    const reader = await ctx.connect();
    const next = await reader.consume(queue, { maxUnacked: 10 });
    expect(texts(await pullExactly(next, 1, ctx.deliveryTimeoutMs))).toEqual(['during']);
    expect(await pullFor(next, 10, ctx.quietMs)).toEqual([]);
  });

  it('close - past the drain timeout, what is still unsettled goes back to its queue', async () => {
    const { adapter, queue, consumer } = await ctx.consumerOfTexts(['kept'], 1);
    await pullExactly(consumer, 1, ctx.deliveryTimeoutMs);
    await adapter.close({ drainTimeoutMs: 50 });

    const reader = await ctx.connect();
    const again = await pullExactly(
      await reader.consume(queue, { maxUnacked: 1 }),
      1,
      ctx.deliveryTimeoutMs,
    );
    expect(texts(again)).toEqual(['kept']);
    expect(at(again, 0).redelivered).toBe(true);
    expect(await pullFor(await reader.consume(queue, { maxUnacked: 1 }), 1, ctx.quietMs)).toEqual(
      [],
    );
  });
}

/**
 * What a pull made while its adapter drains handed out: its deliveries, or none when it rejected with
 * CONSUMER_CLOSED (an adapter may end its consumers' pulls when the drain begins; it may not hand anything out).
 */
async function handedOutWhileDraining(pull: Promise<Delivery[]>): Promise<Delivery[]> {
  try {
    return await pull;
  } catch (error) {
    expect(error).toMatchObject({ code: StreamErrorCode.ConsumerClosed });
    return [];
  }
}
