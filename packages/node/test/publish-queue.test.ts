/**
 * PublishQueue: one publish at a time, the waiting ones sent together, and each caller given its own outcome.
 */
import { describe, expect, it } from 'vitest';
import { MessagesRejectedError, type OutgoingMessage, type StreamAdapter } from '../src/adapter.js';
import { PublishQueue } from '../src/publish-queue.js';
import { gate } from './helpers.js';

function messages(queue: string, count: number): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => ({ queue, body: new Uint8Array([i]) }));
}

/** An adapter whose publishes wait for the test, and that records each call. */
function recording(): {
  adapter: StreamAdapter;
  calls: (readonly OutgoingMessage[])[];
  answer: ((error?: unknown) => void)[];
} {
  const calls: (readonly OutgoingMessage[])[] = [];
  const answer: ((error?: unknown) => void)[] = [];
  const adapter = {
    publish(batch: readonly OutgoingMessage[]): Promise<void> {
      calls.push(batch);
      const done = gate<unknown>();
      answer.push((error) => done.open(error));
      return done.promise.then((error) => {
        if (error !== undefined) throw error;
      });
    },
  } as unknown as StreamAdapter;
  return { adapter, calls, answer };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The situation every case starts from: a queue with one call in flight (`sizes[0]` messages to `a`) and two waiting
 * behind it (to `b` and `c`).
 */
function twoWaiting(sizes: readonly [number, number, number]): ReturnType<typeof recording> & {
  queue: PublishQueue;
  first: Promise<void>;
  second: Promise<void>;
  third: Promise<void>;
} {
  const recorded = recording();
  const queue = new PublishQueue(recorded.adapter);
  const first = queue.publish(messages('a', sizes[0]));
  const second = queue.publish(messages('b', sizes[1]));
  const third = queue.publish(messages('c', sizes[2]));
  return { ...recorded, queue, first, second, third };
}

describe('PublishQueue', () => {
  it('publish - one call at a time; those that waited go together, in order, and each resolves', async () => {
    const { queue, calls, answer, first, second, third } = twoWaiting([2, 1, 3]);
    expect(calls.map((call) => call.length)).toEqual([2]);
    answer[0]!();
    await first;
    await turn();
    expect(calls.map((call) => call.map((m) => m.queue).join(''))).toEqual(['aa', 'bccc']);
    answer[1]!();
    await Promise.all([second, third]);
    // Idle again: the next call goes at once.
    void queue.publish(messages('d', 1));
    expect(calls).toHaveLength(3);
  });

  it('publish - refused messages of a combined call are named to their own caller, by their own index', async () => {
    const { answer, first, second, third } = twoWaiting([1, 2, 2]);
    answer[0]!();
    await first;
    await turn();
    // Combined: b0 b1 c0 c1; the broker refused index 3 (c1).
    answer[1]!(new MessagesRejectedError('publish', [{ index: 3, reason: 'too big' }], 4));
    await expect(second).resolves.toBeUndefined();
    const error = await third.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessagesRejectedError);
    expect(error).toMatchObject({ rejected: [{ index: 1, reason: 'too big' }], total: 2 });
  });

  it('publish - a combined call that fails whole rejects every caller in it', async () => {
    const { answer, first, second, third } = twoWaiting([1, 1, 1]);
    answer[0]!(new Error('nacked'));
    await expect(first).rejects.toThrow('nacked');
    await turn();
    answer[1]!(new Error('connection lost'));
    await expect(second).rejects.toThrow('connection lost');
    await expect(third).rejects.toThrow('connection lost');
  });
});
