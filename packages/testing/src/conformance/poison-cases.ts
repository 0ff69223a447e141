/**
 * Conformance of what isolates a poison message: a publish that refuses particular messages names them and stores the
 * rest; `deadLetter` (for consumers that have it) moves originals to the fail queue; redelivery counts (for adapters
 * that report them) go up each time a message comes back.
 */
import { StreamErrorCode, isDeadLetterCapable } from '@monomyth/node/adapter';
import type {
  Delivery,
  MessagesRejectedError,
  OutgoingMessage,
  StreamAdapter,
} from '@monomyth/node/adapter';
import { expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { ConformanceContext } from './context.js';
import {
  Lacks,
  at,
  encoder,
  publishTexts,
  pullExactly,
  pullFor,
  rejectionOf,
  texts,
} from './context.js';

export function poisonCases(ctx: ConformanceContext): void {
  const refused = ctx.refusedMessage;

  /**
   * For the cases about refused messages: an adapter, a fresh queue, and a message the stream refuses for it. Skips the
   * case where the suite was given no `refusedMessage`.
   */
  async function refusing(
    skip: TestContext['skip'],
  ): Promise<{ adapter: StreamAdapter; queue: string; bad: OutgoingMessage }> {
    if (refused === undefined) return skip(Lacks.refusedMessage);
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    return { adapter, queue, bad: { queue, ...refused() } };
  }

  it('publish - messages refused for themselves are named by index and reason; the others of the call are stored, in order', async ({
    skip,
  }) => {
    const { adapter, queue, bad } = await refusing(skip);
    const error = (await rejectionOf(
      adapter.publish([
        { queue, body: encoder.encode('a') },
        bad,
        { queue, body: encoder.encode('b') },
        bad,
        { queue, body: encoder.encode('c') },
      ]),
    )) as MessagesRejectedError;
    expect(error).toMatchObject({ code: StreamErrorCode.MessagesRejected, total: 5 });
    expect(error.rejected.map((message) => message.index)).toEqual([1, 3]);
    for (const message of error.rejected) expect(message.reason).toEqual(expect.any(String));
    const reader = await ctx.connect();
    const consumer = await reader.consume(queue, { maxUnacked: 10 });
    expect(texts(await pullExactly(consumer, 3, ctx.deliveryTimeoutMs))).toEqual(['a', 'b', 'c']);
    expect(await pullFor(consumer, 10, ctx.quietMs)).toEqual([]);
  });

  it('publish - a call of refused messages only stores nothing, and the adapter goes on publishing', async ({
    skip,
  }) => {
    const { adapter, queue, bad } = await refusing(skip);
    const error = (await rejectionOf(adapter.publish([bad]))) as MessagesRejectedError;
    expect(error.rejected.map((message) => message.index)).toEqual([0]);
    await publishTexts(adapter, queue, ['after']);
    const consumer = await adapter.consume(queue, { maxUnacked: 10 });
    expect(texts(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs))).toEqual(['after']);
    expect(await pullFor(consumer, 10, ctx.quietMs)).toEqual([]);
  });

  it('deadLetter - the original moves unchanged to the fail queue, and never comes back to its queue', async ({
    skip,
  }) => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    const failQueue = await ctx.freshQueue(adapter, 'q-fail');
    const consumer = await adapter.consume(queue, { maxUnacked: 10, failQueue });
    if (!isDeadLetterCapable(consumer)) return skip(Lacks.deadLetter);
    await adapter.publish([
      { queue, body: encoder.encode('poison'), headers: { keep: 'me' } },
      { queue, body: encoder.encode('good') },
    ]);
    const got = await pullExactly(consumer, 2, ctx.deliveryTimeoutMs);
    const [poison, good] = [at(got, 0), at(got, 1)];
    await consumer.deadLetter([poison]);
    await consumer.ack([good]);
    expect(await rejectionOf(consumer.deadLetter([poison]))).toMatchObject({
      code: StreamErrorCode.UnknownDelivery,
    });
    await consumer.close();
    const failed = at(
      await pullExactly(
        await adapter.consume(failQueue, { maxUnacked: 10 }),
        1,
        ctx.deliveryTimeoutMs,
      ),
      0,
    );
    expect(texts([failed])).toEqual(['poison']);
    expect(failed.headers).toMatchObject({ keep: 'me' });
    expect(
      await pullFor(await adapter.consume(queue, { maxUnacked: 10 }), 10, ctx.quietMs),
    ).toEqual([]);
  });

  it('redeliveryCount - when reported, it goes up by one each time a message comes back from a consumer that went away', async ({
    skip,
  }) => {
    const adapter = await ctx.connect();
    const queue = await ctx.freshQueue(adapter);
    await publishTexts(adapter, queue, ['again']);
    // A consumer that closes holding the message is what a crashed node looks like to the broker.
    const heldThenGone = async (): Promise<Delivery> => {
      const consumer = await adapter.consume(queue, { maxUnacked: 1 });
      const delivery = at(await pullExactly(consumer, 1, ctx.deliveryTimeoutMs), 0);
      await consumer.close();
      return delivery;
    };
    await heldThenGone();
    const second = await heldThenGone();
    const third = await heldThenGone();
    expect([second.redelivered, third.redelivered]).toEqual([true, true]);
    if (second.redeliveryCount === undefined) return skip(Lacks.redeliveryCount);
    expect(second.redeliveryCount).toBeGreaterThanOrEqual(1);
    expect(third.redeliveryCount).toBe(second.redeliveryCount + 1);
  });
}
