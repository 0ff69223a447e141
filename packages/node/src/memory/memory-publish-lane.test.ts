import { describe, expect, it } from 'vitest';
import { MemoryBroker } from './memory-broker.js';
import { MemoryStreamAdapter } from './memory-adapter.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const message = (queue: string, text: string) => ({ queue, body: encoder.encode(text) });

/** An adapter on a broker whose queues hold 2 ready messages, with queue `full` already full and `q` empty. */
async function setup(): Promise<MemoryStreamAdapter> {
  const adapter = new MemoryStreamAdapter({ broker: new MemoryBroker({ maxQueueLength: 2 }) });
  await adapter.open();
  await adapter.declareQueue('full');
  await adapter.declareQueue('q');
  await adapter.publish([message('full', '1'), message('full', '2')]);
  return adapter;
}

/** Reads `count` messages of `queue` (acking them), as text. */
async function read(adapter: MemoryStreamAdapter, queue: string, count: number): Promise<string[]> {
  const consumer = await adapter.consume(queue, { maxUnacked: count });
  const batch = await consumer.nextBatch({
    max: count,
    timeoutMs: 0,
    signal: AbortSignal.timeout(1000),
  });
  await consumer.ack(batch);
  await consumer.close();
  return batch.map((delivery) => decoder.decode(delivery.body));
}

describe('memory publish lane', () => {
  it('keeps a call behind one that waits for room, where plain publishes let it pass', async () => {
    const plain = await setup();
    const waiting = plain.publish([message('full', '3'), message('q', 'a')]);
    await plain.publish([message('q', 'b')]);
    expect(await read(plain, 'full', 1)).toEqual(['1']);
    await waiting;
    expect(await read(plain, 'q', 2)).toEqual(['b', 'a']);
    await plain.close();

    const adapter = await setup();
    const lane = adapter.publishLane();
    const first = lane.publish([message('full', '3'), message('q', 'a')]);
    const second = lane.publish([message('q', 'b')]);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondDone).toBe(false);
    expect(await read(adapter, 'full', 1)).toEqual(['1']);
    await Promise.all([first, second]);
    expect(await read(adapter, 'q', 2)).toEqual(['a', 'b']);
    lane.close();
    await adapter.close();
  });

  it('a call behind a failed one is still made, and fails or succeeds on its own', async () => {
    const adapter = await setup();
    const lane = adapter.publishLane();
    const first = lane.publish([message('nowhere', 'x')]);
    const second = lane.publish([message('q', 'a')]);
    await expect(first).rejects.toThrow(/nowhere/);
    await second;
    expect(await read(adapter, 'q', 1)).toEqual(['a']);
    await adapter.close();
  });
});
