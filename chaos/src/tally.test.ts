import { describe, expect, it } from 'vitest';
import { expectedOutput } from '@monomyth/example-four-stage/dist/inputs.js';
import { Tally } from './tally.js';

describe('Tally', () => {
  it('tally - an output that arrives before its input is confirmed is an arrival, not wrong and then missing', () => {
    const tally = new Tally();
    const entry = tally.published('abc123', 0);
    expect(tally.received(expectedOutput('abc123'), 10)).toBe('arrived');
    tally.confirmed(entry);
    expect(tally.counts()).toEqual({ inputs: 1, outputs: 1, missing: 0, wrong: 0, duplicates: 0 });
  });

  it('tally - counts missing, wrong and duplicates as multisets', () => {
    const tally = new Tally();
    for (const input of ['a1', 'b1', 'c2']) tally.confirmed(tally.published(input, 0));
    // 'a1' and 'b1' share one expected output (letters are stripped): two copies are both arrivals.
    tally.received(expectedOutput('a1'), 5);
    tally.received(expectedOutput('b1'), 6);
    tally.received(expectedOutput('a1'), 7);
    tally.received('test 1', 8);
    expect(tally.counts()).toEqual({ inputs: 3, outputs: 4, missing: 1, wrong: 1, duplicates: 1 });
    expect(tally.missingSamples()).toEqual(['c2']);
    expect(tally.wrongSamples).toEqual(['test 1']);
  });

  it('tally - an input the broker refused is neither an input nor missing', () => {
    const tally = new Tally();
    tally.published('x9', 0);
    expect(tally.counts()).toMatchObject({ inputs: 0, missing: 0 });
  });

  it('tally - recovery is the time from a fault to the last late output, undefined while one is missing', () => {
    const tally = new Tally();
    // Before the fault at 1000: latencies of 50 ms.
    for (let i = 0; i < 10; i++) {
      const input = `p${i}`;
      tally.confirmed(tally.published(input, i * 10));
      tally.received(expectedOutput(input), i * 10 + 50);
    }
    const held = tally.published('held7', 1_100);
    tally.confirmed(held);
    expect(tally.recoveryMs([1_000])).toBeUndefined();
    tally.received(expectedOutput('held7'), 4_000);
    // Published after the fault, held up by it: it counts.
    expect(tally.recoveryMs([1_000])).toBe(3_000);
    expect(tally.slowestMs()).toBe(2_900);
  });
});
