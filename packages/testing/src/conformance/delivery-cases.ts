/** Conformance: queues, publishing, order, batches and the bound on unacknowledged deliveries. */
import { MonomythHeader, StreamErrorCode } from '@monomyth/node/adapter';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { at, encoder, publishTexts, pullExactly, pullFor, rejectionOf, texts } from './context.js';

export function deliveryCases(ctx: ConformanceContext): void {
  it('queues - declaring a queue again is a no-op that keeps its messages', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    await publishTexts(adapter, queue, ['one']);
    await adapter.declareQueue(queue);
    const consumer = await adapter.consume(queue, { maxUnacked: 5 });
    expect(texts(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs))).toEqual(['one']);
  });

  it('queues - consuming or publishing to an undeclared queue rejects with UNKNOWN_QUEUE', async () => {
    const adapter = await ctx.connect();
    const missing = ctx.queue('never-declared');
    expect(await rejectionOf(adapter.consume(missing, { maxUnacked: 1 }))).toMatchObject({
      code: StreamErrorCode.UnknownQueue,
    });
    expect(
      await rejectionOf(adapter.publish([{ queue: missing, body: encoder.encode('lost?') }])),
    ).toMatchObject({ code: StreamErrorCode.UnknownQueue });
  });

  it('order - messages published to one queue are delivered in that order', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    const values = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await publishTexts(adapter, queue, values.slice(0, 120));
    await publishTexts(adapter, queue, values.slice(120));
    const consumer = await adapter.consume(queue, { maxUnacked: 50 });
    const got: string[] = [];
    while (got.length < values.length) {
      const batch = await pullExactly(
        consumer,
        Math.min(50, values.length - got.length),
        ctx.deliveryTimeoutMs,
      );
      got.push(...texts(batch));
      await consumer.ack(batch);
    }
    expect(got).toEqual(values);
  });

  it('publish - one batch may span queues; bodies and headers come back exactly', async () => {
    const adapter = await ctx.connect();
    const left = await ctx.freshQueue(adapter, 'left');
    const right = await ctx.freshQueue(adapter, 'right');
    const binary = new Uint8Array([0, 1, 127, 128, 255]);
    await adapter.publish([
      { queue: left, body: binary, headers: { s: 'text', n: 42, f: 1.5, yes: true, no: false } },
      { queue: right, body: new Uint8Array(0) },
      { queue: left, body: encoder.encode('second') },
    ]);
    const fromLeft = await pullExactly(
      await adapter.consume(left, { maxUnacked: 5 }),
      2,
      ctx.deliveryTimeoutMs,
    );
    expect([...at(fromLeft, 0).body]).toEqual([...binary]);
    expect(at(fromLeft, 0).headers).toMatchObject({
      s: 'text',
      n: 42,
      f: 1.5,
      yes: true,
      no: false,
    });
    expect(texts(fromLeft.slice(1))).toEqual(['second']);
    const fromRight = await pullExactly(
      await adapter.consume(right, { maxUnacked: 5 }),
      1,
      ctx.deliveryTimeoutMs,
    );
    expect(at(fromRight, 0).body.byteLength).toBe(0);
    expect(at(fromRight, 0).queue).toBe(right);
  });

  it('publish - resolves once durable: another adapter reads every message after the first closes', async () => {
    const writer = await ctx.connect();
    const queue = await ctx.freshQueue(writer);
    const values = Array.from({ length: 50 }, (_, i) => `durable-${i}`);
    await publishTexts(writer, queue, values);
    await writer.close();
    const reader = await ctx.connect();
    const consumer = await reader.consume(queue, { maxUnacked: 50 });
    expect(texts(await pullExactly(consumer, 50, ctx.deliveryTimeoutMs))).toEqual(values);
  });

  it('attempt - read from x-monomyth-attempt, 1 when absent; first deliveries are not redelivered', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    await adapter.publish([
      { queue, body: encoder.encode('fresh') },
      { queue, body: encoder.encode('third try'), headers: { [MonomythHeader.Attempt]: 3 } },
    ]);
    const got = await pullExactly(
      await adapter.consume(queue, { maxUnacked: 5 }),
      2,
      ctx.deliveryTimeoutMs,
    );
    expect(got.map((d) => [d.attempt, d.redelivered])).toEqual([
      [1, false],
      [3, false],
    ]);
  });

  it('batches - nextBatch returns max at once when that many wait, and a partial batch after timeoutMs', async () => {
    const { consumer } = await ctx.consumerOfTexts(
      Array.from({ length: 25 }, (_, i) => `b${i}`),
      25,
    );
    // Let the whole backlog arrive (a broker delivers asynchronously), then batches come out full.
    const all = await pullExactly(consumer, 25, ctx.deliveryTimeoutMs);
    await consumer.requeue(all);
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const batch = await consumer.nextBatch({
        max: 10,
        timeoutMs: 200,
        signal: AbortSignal.timeout(ctx.deliveryTimeoutMs),
      });
      sizes.push(batch.length);
      await consumer.ack(batch);
    }
    expect(sizes).toEqual([10, 10, 5]);
  });

  it('batches - nextBatch waits for the first delivery without a deadline and wakes when it arrives', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    const consumer = await adapter.consume(queue, { maxUnacked: 5 });
    const pending = consumer.nextBatch({
      max: 5,
      timeoutMs: 20,
      signal: AbortSignal.timeout(ctx.deliveryTimeoutMs),
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // longer than timeoutMs: still waiting for a first one
    await publishTexts(adapter, queue, ['late']);
    expect(texts(await pending)).toEqual(['late']);
  });

  it('batches - aborting the signal resolves nextBatch at once with what it has', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    const consumer = await adapter.consume(queue, { maxUnacked: 5 });
    const controller = new AbortController();
    const pending = consumer.nextBatch({ max: 5, timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    expect(await pending).toEqual([]);
    const aborted = await consumer.nextBatch({
      max: 5,
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    expect(aborted).toEqual([]);
  });

  it('unacked - a consumer never holds more than maxUnacked; settling makes room', async () => {
    const { consumer } = await ctx.consumerOfTexts(
      Array.from({ length: 10 }, (_, i) => `u${i}`),
      3,
    );
    const first = await pullExactly(consumer, 3, ctx.deliveryTimeoutMs);
    expect(texts(first)).toEqual(['u0', 'u1', 'u2']);
    expect(await pullFor(consumer, 10, ctx.quietMs)).toEqual([]);
    await consumer.ack(first.slice(0, 2));
    const next = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    expect(texts(next)).toEqual(['u3', 'u4']);
    expect(await pullFor(consumer, 10, ctx.quietMs)).toEqual([]);
  });

  it('consumers - two consumers of one queue share it: each message goes to one of them', async () => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    const one = await adapter.consume(queue, { maxUnacked: 4 });
    const two = await adapter.consume(queue, { maxUnacked: 4 });
    await publishTexts(
      adapter,
      queue,
      Array.from({ length: 8 }, (_, i) => `c${i}`),
    );
    const [a, b] = await Promise.all([
      pullExactly(one, 4, ctx.deliveryTimeoutMs),
      pullExactly(two, 4, ctx.deliveryTimeoutMs),
    ]);
    expect([...texts(a), ...texts(b)].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `c${i}`));
  });
}
