import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../src/index.js';

class ExpectedError extends Error {}

describe('rejectionOf', () => {
  it('rejectionOf - returns an error of the class; fails on success or on another error', async () => {
    const expected = new ExpectedError('no');
    expect(await rejectionOf(Promise.reject(expected), ExpectedError)).toBe(expected);
    await expect(rejectionOf(Promise.resolve(1), ExpectedError)).rejects.toThrow(
      'expected a rejection with ExpectedError, but the promise resolved',
    );
    const other = new TypeError('other');
    await expect(rejectionOf(Promise.reject(other), ExpectedError)).rejects.toBe(other);
  });
});
