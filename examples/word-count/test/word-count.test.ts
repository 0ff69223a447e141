import { afterEach, describe, expect, it } from 'vitest';
import { startSystem } from '@monomyth/testing';
import type { SystemHarness } from '@monomyth/testing';
import system, { countWords, expectedCounts, wordsOf } from '../src/system.js';
import { sampleLines } from '../src/text.js';

let harness: SystemHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('word-count example', () => {
  it('word-count - a line fans out into words, stop words are filtered, the counts add up', async () => {
    harness = await startSystem(system, { instances: 2 });
    const lines = sampleLines(200);
    const expected = expectedCounts(lines);
    const total = [...expected.values()].reduce((sum, count) => sum + count, 0);
    await harness.push(lines);
    const words = (await harness.collect(total, { timeoutMs: 20_000 })) as string[];
    expect(countWords(words)).toEqual(expected);
    expect(words).not.toContain('the');
    expect(expected.get('nodes')).toBe(100);
  });

  it('word-count - words are lower case letters and apostrophes', () => {
    expect(wordsOf("Monomyth's nodes, ZeroMQ & RabbitMQ!")).toEqual([
      "monomyth's",
      'nodes',
      'zeromq',
      'rabbitmq',
    ]);
  });
});
