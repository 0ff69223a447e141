/**
 * Conformance of `FailedMessagesCapable` (count, peek, move, purge: the operator's fail-queue tooling), for adapters
 * that have it; skipped, with the reason, for those that do not.
 */
import { MonomythHeader, StreamErrorCode, isFailedMessagesCapable } from '@monomyth/node/adapter';
import type { FailedMessagesCapable, StreamAdapter } from '@monomyth/node/adapter';
import { expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import {
  Lacks,
  at,
  decoder,
  encoder,
  pullExactly,
  pullFor,
  rejectionOf,
  texts,
} from './context.js';
import { eventually } from '../eventually.js';

/** The names of these cases, for the suite's own test of what an adapter without the capability skips. */
export const FAILED_MESSAGES_CASES = [
  'failed messages - peek shows the head in order with bodies and headers, and removes, loses or duplicates nothing',
  'failed messages - move takes the head in order, resets the attempt, records the redrive, and leaves the rest',
  'failed messages - a move to a queue never declared rejects and leaves every message where it was',
  'failed messages - purge deletes the ready messages and says how many; one a consumer holds is not touched',
  'failed messages - every operation rejects once the adapter is closed',
] as const;

/**
 * Publishes each text to `queue` with headers that say its index, as a fail queue holds them, and waits until they
 * are counted: these cases are about the capability, not about publishing (a publish that resolves before it stores
 * is the stored case's to catch).
 */
async function publishFailed(
  adapter: StreamAdapter & FailedMessagesCapable,
  queue: string,
  values: readonly string[],
): Promise<void> {
  await adapter.publish(
    values.map((value, index) => ({
      queue,
      body: encoder.encode(value),
      headers: {
        [MonomythHeader.Attempt]: 5,
        [MonomythHeader.ErrorMessage]: `failed ${value}`,
        index,
      },
    })),
  );
  await eventually(
    () => adapter.countMessages(queue),
    (count) => count >= values.length,
  );
}

export function failedMessagesCases(ctx: ConformanceContext): void {
  // Peeking may take messages and give them back (AMQP cannot browse): on some queues (RabbitMQ's quorum queues) they
  // go back behind the rest. The contract is that nothing is lost, removed or duplicated; the order seen first is the
  // queue's.
  it(FAILED_MESSAGES_CASES[0], async ({ skip }) => {
    const adapter = await ctx.connect();
    if (!isFailedMessagesCapable(adapter)) return skip(Lacks.failedMessages);
    const queue = await ctx.freshQueue(adapter, 'fail');
    await publishFailed(adapter, queue, ['a', 'b', 'c']);
    expect(await adapter.countMessages(queue)).toBe(3);
    const first = await adapter.peekMessages(queue, 2);
    expect(first.map((message) => decoder.decode(message.body))).toEqual(['a', 'b']);
    expect(first.map((message) => message.headers)).toMatchObject([
      { [MonomythHeader.ErrorMessage]: 'failed a', index: 0 },
      { [MonomythHeader.ErrorMessage]: 'failed b', index: 1 },
    ]);
    // More than there are gives what there is; 0 gives nothing; the count does not change.
    const again = await adapter.peekMessages(queue, 10);
    expect(again.map((message) => decoder.decode(message.body)).sort()).toEqual(['a', 'b', 'c']);
    expect(await adapter.peekMessages(queue, 0)).toEqual([]);
    // Given back, they count again (on a RabbitMQ quorum queue, a moment after the peek resolves).
    await eventually(
      () => adapter.countMessages(queue),
      (count) => count === 3,
      { timeoutMs: ctx.deliveryTimeoutMs },
    );
    const consumer = await adapter.consume(queue, { maxUnacked: 3 });
    const all = await pullExactly(consumer, 3, ctx.deliveryTimeoutMs);
    expect(texts(all).sort()).toEqual(['a', 'b', 'c']);
    expect(all.map((delivery) => delivery.attempt)).toEqual([5, 5, 5]);
    expect(await pullFor(consumer, 3, ctx.quietMs)).toHaveLength(0);
  });

  it(FAILED_MESSAGES_CASES[1], async ({ skip }) => {
    const adapter = await ctx.connect();
    if (!isFailedMessagesCapable(adapter)) return skip(Lacks.failedMessages);
    const from = await ctx.freshQueue(adapter, 'fail');
    const to = await ctx.freshQueue(adapter, 'source');
    await publishFailed(adapter, from, ['1', '2', '3']);
    const before = Date.now();
    expect(await adapter.moveMessages(from, to, { limit: 2 })).toBe(2);
    expect(await adapter.countMessages(from)).toBe(1);
    expect(await adapter.countMessages(to)).toBe(2);
    // Read through another adapter: the copies are stored, not held by the one that moved them.
    const reader = await ctx.connect();
    const consumer = await reader.consume(to, { maxUnacked: 2 });
    const moved = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    expect(texts(moved)).toEqual(['1', '2']);
    const copy = at(moved, 0);
    expect(copy.attempt).toBe(1);
    expect(copy.headers[MonomythHeader.Attempt]).toBeUndefined();
    expect(copy.headers).toMatchObject({
      [MonomythHeader.ErrorMessage]: 'failed 1',
      [MonomythHeader.Redrives]: 1,
      index: 0,
    });
    const redrivenAt = Date.parse(String(copy.headers[MonomythHeader.RedrivenAt]));
    expect(redrivenAt).toBeGreaterThanOrEqual(before - 1000);
    // Without a limit: what is there. A message moved twice says so.
    await consumer.ack(moved);
    await consumer.close();
    expect(await adapter.moveMessages(from, to)).toBe(1);
    expect(await adapter.moveMessages(to, from)).toBe(1);
    expect(await adapter.countMessages(to)).toBe(0);
    const twice = at(await adapter.peekMessages(from, 5), 0);
    expect([decoder.decode(twice.body), twice.headers[MonomythHeader.Redrives]]).toEqual(['3', 2]);
    expect(await adapter.moveMessages(to, from)).toBe(0);
  });

  it(FAILED_MESSAGES_CASES[2], async ({ skip }) => {
    const adapter = await ctx.connect();
    if (!isFailedMessagesCapable(adapter)) return skip(Lacks.failedMessages);
    const from = await ctx.freshQueue(adapter, 'fail');
    await publishFailed(adapter, from, ['x', 'y']);
    expect(
      await rejectionOf(adapter.moveMessages(from, ctx.queue('never-declared'))),
    ).toMatchObject({ code: StreamErrorCode.UnknownQueue });
    for (const operation of [
      adapter.countMessages(ctx.queue('missing')),
      adapter.peekMessages(ctx.queue('missing'), 1),
      adapter.purgeMessages(ctx.queue('missing')),
      adapter.moveMessages(ctx.queue('missing'), from),
    ]) {
      expect(await rejectionOf(operation)).toMatchObject({ code: StreamErrorCode.UnknownQueue });
    }
    const peeked = await adapter.peekMessages(from, 5);
    expect(peeked.map((message) => decoder.decode(message.body))).toEqual(['x', 'y']);
    expect(peeked.map((message) => message.headers[MonomythHeader.Attempt])).toEqual([5, 5]);
  });

  it(FAILED_MESSAGES_CASES[3], async ({ skip }) => {
    const adapter = await ctx.connect();
    if (!isFailedMessagesCapable(adapter)) return skip(Lacks.failedMessages);
    const queue = await ctx.freshQueue(adapter, 'fail');
    await publishFailed(adapter, queue, ['p', 'q', 'r']);
    const holder = await ctx.connect();
    const consumer = await holder.consume(queue, { maxUnacked: 1 });
    await pullExactly(consumer, 1, ctx.deliveryTimeoutMs);
    expect(await adapter.purgeMessages(queue)).toBe(2);
    expect(await adapter.countMessages(queue)).toBe(0);
    await consumer.close();
    const reader = await adapter.consume(queue, { maxUnacked: 3 });
    expect(texts(await pullExactly(reader, 1, ctx.deliveryTimeoutMs))).toEqual(['p']);
    expect(await pullFor(reader, 3, ctx.quietMs)).toHaveLength(0);
  });

  it(FAILED_MESSAGES_CASES[4], async ({ skip }) => {
    const adapter = await ctx.connect();
    if (!isFailedMessagesCapable(adapter)) return skip(Lacks.failedMessages);
    const queue = await ctx.freshQueue(adapter, 'fail');
    await adapter.close();
    for (const operation of [
      adapter.countMessages(queue),
      adapter.peekMessages(queue, 1),
      adapter.moveMessages(queue, queue),
      adapter.purgeMessages(queue),
    ]) {
      expect(await rejectionOf(operation)).toMatchObject({ code: StreamErrorCode.AdapterClosed });
    }
  });
}
