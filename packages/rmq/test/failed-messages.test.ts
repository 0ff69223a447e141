/**
 * What FailedMessagesCapable does on RabbitMQ beyond the conformance suite, as docs/operations.md states it: where a
 * peek puts the messages back (classic queues: at their places; quorum queues: behind the others), that a peek leaves
 * them redelivered and nothing else changed, that a move whose copies the broker refuses leaves every original in
 * the fail queue, and that the originals a move moved stay gone once its channel has closed.
 */
import { describe, expect, it } from 'vitest';
import type { QueueType } from '../src/index.js';
import { openedInTest, uniqueName } from './helpers.js';

const resources = openedInTest();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function failQueueOf(
  queueType: QueueType,
  values: readonly string[],
): Promise<{
  adapter: Awaited<ReturnType<typeof resources.open>>;
  queue: string;
}> {
  const adapter = await resources.open({ queueType });
  const queue = `${uniqueName('peek')}-fail`;
  await adapter.declareQueue(queue);
  await adapter.publish(values.map((value) => ({ queue, body: encoder.encode(value) })));
  return { adapter, queue };
}

async function readAll(
  adapter: Awaited<ReturnType<typeof resources.open>>,
  queue: string,
  count: number,
): Promise<{ text: string; redelivered: boolean }[]> {
  const consumer = await adapter.consume(queue, { maxUnacked: count });
  const got: { text: string; redelivered: boolean }[] = [];
  const signal = AbortSignal.timeout(5000);
  while (got.length < count && !signal.aborted) {
    const batch = await consumer.nextBatch({ max: count - got.length, timeoutMs: 20, signal });
    got.push(...batch.map((d) => ({ text: decoder.decode(d.body), redelivered: d.redelivered })));
  }
  await consumer.close();
  return got;
}

/** Long enough for a closed channel's unsettled messages to be back in their queue (they were, well within it). */
const RETURN_SETTLE_MS = 1000;

describe('rabbitmq failed messages', () => {
  it('peek - a classic queue keeps its order; the peeked messages come back redelivered', async () => {
    const { adapter, queue } = await failQueueOf('classic', ['a', 'b', 'c']);
    expect((await adapter.peekMessages(queue, 2)).map((m) => decoder.decode(m.body))).toEqual([
      'a',
      'b',
    ]);
    expect(await readAll(adapter, queue, 3)).toEqual([
      { text: 'a', redelivered: true },
      { text: 'b', redelivered: true },
      { text: 'c', redelivered: false },
    ]);
  });

  it('peek - a quorum queue puts the peeked messages behind the others, in their order; nothing is lost', async () => {
    const { adapter, queue } = await failQueueOf('quorum', ['a', 'b', 'c', 'd']);
    expect((await adapter.peekMessages(queue, 2)).map((m) => decoder.decode(m.body))).toEqual([
      'a',
      'b',
    ]);
    const texts = (await readAll(adapter, queue, 4)).map((m) => m.text);
    expect(texts).toEqual(['c', 'd', 'a', 'b']);
  });

  it('move - copies the broker refuses (a full target that rejects publishes) leave every original in the fail queue', async () => {
    const adapter = await resources.open({
      queueType: 'classic',
      queueArguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' },
    });
    const from = `${uniqueName('move')}-fail`;
    const to = uniqueName('full');
    await adapter.declareQueue(from);
    await adapter.declareQueue(to);
    await adapter.publish([
      { queue: from, body: encoder.encode('x') },
      { queue: from, body: encoder.encode('y') },
      { queue: to, body: encoder.encode('1') },
      { queue: to, body: encoder.encode('2') },
    ]);
    await expect(adapter.moveMessages(from, to)).rejects.toThrow(/did not confirm the copies/);
    expect(await adapter.countMessages(from)).toBe(2);
    expect(await adapter.countMessages(to)).toBe(2);
  });

  it.each(['quorum', 'classic'] as const)(
    'move - %s: every original moved stays gone after the move has closed its channel; nothing is duplicated',
    async (queueType) => {
      const values = Array.from({ length: 1000 }, (_, i) => String(i));
      const { adapter, queue } = await failQueueOf(queueType, values);
      const to = uniqueName('moved-to');
      await adapter.declareQueue(to);
      expect(await adapter.moveMessages(queue, to)).toBe(1000);
      await new Promise((resolve) => setTimeout(resolve, RETURN_SETTLE_MS));
      expect(await adapter.countMessages(queue)).toBe(0);
      const moved = await readAll(adapter, to, 1000);
      expect(moved.map((m) => m.text)).toEqual(values);
    },
  );

  it('move - a limit that ends inside a batch moves exactly that many, in order; the rest stay, none lost', async () => {
    const values = Array.from({ length: 600 }, (_, i) => String(i));
    const { adapter, queue } = await failQueueOf('quorum', values);
    const to = uniqueName('moved-to');
    await adapter.declareQueue(to);
    expect(await adapter.moveMessages(queue, to, { limit: 250 })).toBe(250);
    await new Promise((resolve) => setTimeout(resolve, RETURN_SETTLE_MS));
    expect(await adapter.countMessages(queue)).toBe(350);
    expect((await readAll(adapter, to, 250)).map((m) => m.text)).toEqual(values.slice(0, 250));
    const left = (await readAll(adapter, queue, 350)).map((m) => m.text);
    expect(left.sort((a, b) => Number(a) - Number(b))).toEqual(values.slice(250));
  });
});
