/**
 * A consumer that settles many batches at once and closes at once (a node finishing its batches in flight, then
 * stopping) must leave those messages settled: RabbitMQ 3.x quorum queues drop the settlements a channel still holds
 * back when it closes (rabbitmq-server#10327), so the consumer keeps its channel open a moment after its last one.
 */
import { describe, expect, it } from 'vitest';
import type { Delivery } from '@monomyth/node/adapter';
import type { QueueType } from '../src/index.js';
import { openedInTest, publishValues, uniqueName } from './helpers.js';

const resources = openedInTest();
const TOTAL = 2000;
const BATCHES = 60;
const BATCH = 10;

describe('rabbitmq consumer close after many settlements', () => {
  it.each(['quorum', 'classic'] as const)(
    '%s: 60 batches acked at once, then closed: none of them is delivered again',
    async (queueType: QueueType) => {
      const adapter = await resources.open({ queueType });
      const queue = uniqueName('close-after-acks');
      await publishValues(
        adapter,
        queue,
        Array.from({ length: TOTAL }, (_, i) => i),
      );
      const consumer = await adapter.consume(queue, { maxUnacked: BATCHES * BATCH });
      const held: Delivery[] = [];
      const signal = AbortSignal.timeout(10_000);
      while (held.length < BATCHES * BATCH && !signal.aborted) {
        held.push(
          ...(await consumer.nextBatch({
            max: BATCHES * BATCH - held.length,
            timeoutMs: 50,
            signal,
          })),
        );
      }
      expect(held).toHaveLength(BATCHES * BATCH);
      // Every batch its own ack frame, as a node's batches in flight settle.
      const settled: Promise<void>[] = [];
      for (let i = 0; i < BATCHES; i++)
        settled.push(consumer.ack(held.slice(i * BATCH, (i + 1) * BATCH)));
      await Promise.all(settled);
      await consumer.close();
      // A channel's unsettled messages are back in their queue well within this.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await adapter.countMessages(queue)).toBe(TOTAL - BATCHES * BATCH);
    },
  );
});
