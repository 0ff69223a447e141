/** Conformance of the optional capabilities, for adapters that have them. */
import {
  MonomythHeader,
  StreamErrorCode,
  isDelayedRetryCapable,
  isQueueStatsCapable,
} from '@monomyth/node/adapter';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { Lacks, at, publishTexts, pullExactly, pullFor, rejectionOf, texts } from './context.js';

/**
 * An adapter without a capability has its cases reported as skipped (with the reason as the skip note), never as
 * passed: the suite holds adapters to what they claim, and the node falls back for what they do not.
 */
export function capabilityCases(ctx: ConformanceContext): void {
  it('retryLater - the copy comes back after its delay with the new headers, and the original is acked by the caller', async ({
    skip,
  }) => {
    const adapter = await ctx.connect();
    if (!isDelayedRetryCapable(adapter)) return skip(Lacks.retryLater);
    const queue = await ctx.freshQueue(adapter);
    await adapter.publish([
      { queue, body: new TextEncoder().encode('again'), headers: { keep: 'me' } },
    ]);
    const consumer = await adapter.consume(queue, { maxUnacked: 2 });
    const original = at(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs), 0);
    const delayMs = ctx.quietMs * 2;
    const stored = Date.now();
    await adapter.retryLater([
      { delivery: original, delayMs, headers: { [MonomythHeader.Attempt]: 2 } },
    ]);
    await consumer.ack([original]);
    expect(await pullFor(consumer, 2, ctx.quietMs)).toEqual([]);
    const copy = at(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs + delayMs), 0);
    // A little slack below the delay: timers of brokers and of Node round differently.
    expect(Date.now() - stored).toBeGreaterThanOrEqual(delayMs - 20);
    expect(texts([copy])).toEqual(['again']);
    expect(copy.attempt).toBe(2);
    expect(copy.headers).toMatchObject({ keep: 'me', [MonomythHeader.Attempt]: 2 });
  });

  it('retryLater - a retry copy outlives the adapter that stored it', async ({ skip }) => {
    const adapter = await ctx.connect();
    if (!isDelayedRetryCapable(adapter)) return skip(Lacks.retryLater);
    const queue = await ctx.freshQueue(adapter);
    await publishTexts(adapter, queue, ['later']);
    const consumer = await adapter.consume(queue, { maxUnacked: 1 });
    const original = at(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs), 0);
    await adapter.retryLater([
      { delivery: original, delayMs: 50, headers: { [MonomythHeader.Attempt]: 2 } },
    ]);
    await consumer.ack([original]);
    await adapter.close();
    const reader = await ctx.connect();
    const copy = at(
      await pullExactly(await reader.consume(queue, { maxUnacked: 1 }), 1, ctx.deliveryTimeoutMs),
      0,
    );
    expect([texts([copy])[0], copy.attempt]).toEqual(['later', 2]);
  });

  it('queueStats - counts ready and unacked messages and consumers', async ({ skip }) => {
    const adapter = await ctx.connect();
    if (!isQueueStatsCapable(adapter)) return skip(Lacks.queueStats);
    const queue = await ctx.freshQueue(adapter);
    await publishTexts(adapter, queue, ['1', '2', '3']);
    const consumer = await adapter.consume(queue, { maxUnacked: 2 });
    await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    expect(await adapter.queueStats(queue)).toEqual({ ready: 1, unacked: 2, consumers: 1 });
    expect(await rejectionOf(adapter.queueStats(ctx.queue('missing')))).toMatchObject({
      code: StreamErrorCode.UnknownQueue,
    });
  });

  // A publish that resolves before its messages are stored passes every case that reads them back (the reader waits
  // for them); only a count taken the moment it resolves sees the difference, so this case needs queueStats.
  it('publish - resolves once stored: the moment it resolves, queueStats through another adapter counts every message', async ({
    skip,
  }) => {
    const reader = await ctx.connect();
    if (!isQueueStatsCapable(reader)) return skip(Lacks.queueStats);
    const writer = await ctx.connect();
    const queue = await ctx.freshQueue(writer);
    await publishTexts(writer, queue, ['1', '2', '3']);
    expect(await reader.queueStats(queue)).toMatchObject({ ready: 3 });
    await publishTexts(writer, queue, ['4']);
    await writer.close();
    expect(await reader.queueStats(queue)).toMatchObject({ ready: 4 });
  });
}
