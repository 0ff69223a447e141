import {
  defineSystem,
  NonRetryableError,
  StreamFailureError,
  type StreamAdapter,
} from '@monomyth/node';
import { describe, expect, it } from 'vitest';
import { CollectTimeoutError, startSystem } from '../src/index.js';

const words = defineSystem({
  name: 'words',
  nodes: [
    { name: 'SPLIT', transform: (line: string) => line.split(' ').filter(Boolean) },
    {
      name: 'LENGTH',
      transform: (word: string) => {
        if (word === 'boom') throw new NonRetryableError('no explosions');
        return { word, length: word.length };
      },
    },
  ],
});

describe('system harness', () => {
  it('harness - pushes to the input, collects outputs and failures with their reasons', async () => {
    await using harness = await startSystem(words);
    await harness.push(['hello big world', 'boom ok']);
    expect(await harness.collect(4)).toEqual([
      { word: 'hello', length: 5 },
      { word: 'big', length: 3 },
      { word: 'world', length: 5 },
      { word: 'ok', length: 2 },
    ]);
    const [failure] = await harness.failures('LENGTH', 1);
    expect(failure).toMatchObject({
      value: 'boom',
      error: 'no explosions',
      errorName: 'NonRetryableError',
      step: 'transform',
      attempts: 1,
    });
    expect(harness.nodes.map((node) => node.state)).toEqual(['running', 'running']);
    await harness.stop();
    expect(harness.nodes.map((node) => node.state)).toEqual(['stopped', 'stopped']);
  });

  it('harness - collect names the queue and the count when messages do not arrive', async () => {
    await using harness = await startSystem(words, {
      timeoutMs: 300,
      recipes: { SPLIT: { batchTimeoutMs: 0 }, LENGTH: { batchTimeoutMs: 0 } },
    });
    await harness.push(['one']);
    const error = await harness.collect(2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CollectTimeoutError);
    expect(error).toMatchObject({ queue: 'LENGTH-to-END', received: 1, expected: 2 });
  });

  it('harness - recipes can be changed per type, and a failing node surfaces in collect and stop', async () => {
    const system = defineSystem({
      name: 's',
      nodes: [{ name: 'ID', transform: (v: unknown) => v }],
    });
    const { MemoryStreamAdapter } = await import('@monomyth/node/memory');
    const inner = new MemoryStreamAdapter();
    await inner.open();
    let failPublish = false;
    const adapter: StreamAdapter = Object.assign(Object.create(inner) as StreamAdapter, {
      publish: (messages: Parameters<StreamAdapter['publish']>[0]) =>
        failPublish ? Promise.reject(new Error('disk full')) : inner.publish(messages),
    });
    const harness = await startSystem(system, {
      adapter,
      recipes: { ID: { batchSize: 1, maxUnacked: 1 } },
    });
    await harness.push([1]);
    expect(await harness.collect(1)).toEqual([1]);
    failPublish = true;
    await inner.publish([{ queue: 'START-to-ID', body: new TextEncoder().encode('2') }]);
    await expect(harness.collect(1)).rejects.toBeInstanceOf(StreamFailureError);
    await expect(harness.stop()).rejects.toThrow(/disk full/);
    await inner.close();
  });
});
