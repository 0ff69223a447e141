import { afterEach, describe, expect, it } from 'vitest';
import { startSystem } from '@monomyth/testing';
import type { SystemHarness } from '@monomyth/testing';
import system from '../src/system.js';
import { checkOutputs, expectedOutput, randomInputs } from '../src/inputs.js';

let harness: SystemHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('four-stage example', () => {
  it('four-stage - each stage does what the original did', () => {
    expect(expectedOutput('abc1def2')).toBe(`test ${12_18n * 7n}`);
    expect(expectedOutput('zzzz')).toBe('test 126');
  });

  it('four-stage - 2,000 random inputs through two nodes per stage: every output is the expected one', async () => {
    harness = await startSystem(system, { instances: 2 });
    const inputs = randomInputs(2000);
    await harness.push(inputs);
    const outputs = (await harness.collect(inputs.length, { timeoutMs: 20_000 })) as string[];
    expect(checkOutputs(inputs, outputs)).toEqual({ missing: 0, unexpected: 0, duplicates: 0 });
    // A check that can fail: one wrong output is caught.
    expect(checkOutputs(inputs, [...outputs.slice(1), 'test 0'])).toMatchObject({
      missing: 1,
      unexpected: 1,
    });
  });
});
