/**
 * Answers that grow with the cluster stay answers: a start of many nodes that all fail is answered with
 * START-NODE-REQUEST-FAILURE whose reason is cut to MMOP's text limit, not with ERROR 500 because the reason, every
 * failure joined, could not be encoded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlRequestError } from '@monomyth/control';
import { MAX_TEXT_LENGTH } from '@monomyth/mmop';
import { Harness } from './helpers.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('master - large answers', () => {
  it('start - 300 failed starts are answered START_FAILED with the reason cut to the text limit', async () => {
    harness = await Harness.start();
    await harness.worker({ types: ['A'], capacity: 300, startPolicy: () => 'fail' });
    const error = await harness
      .client(10_000)
      .startNode('A', 300)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ControlRequestError);
    expect(error).toMatchObject({ status: 500, code: 'START_FAILED' });
    const { reason } = error as ControlRequestError;
    expect(reason.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    expect(reason).toMatch(/^no A node started: .*refused by the test/);
  });
});
