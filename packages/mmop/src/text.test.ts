import { describe, expect, it } from 'vitest';
import { MmopCodec } from './codec.js';
import { MAX_TEXT_LENGTH, truncateText } from './text.js';

describe('truncateText', () => {
  it('keeps a text that fits, to the last code unit', () => {
    expect(truncateText('')).toBe('');
    const full = 'x'.repeat(MAX_TEXT_LENGTH);
    expect(truncateText(full)).toBe(full);
  });

  it('cuts a longer text to the limit, marked with an ellipsis', () => {
    const cut = truncateText('y'.repeat(MAX_TEXT_LENGTH + 100));
    expect(cut).toHaveLength(MAX_TEXT_LENGTH);
    expect(cut.endsWith('y…')).toBe(true);
    expect(truncateText('abcdef', 4)).toBe('abc…');
    expect(truncateText('abcdef', 0)).toBe('');
  });

  it('never splits a surrogate pair', () => {
    // 'a' then emoji: the cut for max 3 would fall between the emoji's two halves.
    expect(truncateText('a😀😀', 3)).toBe('a…');
    const text = 'a' + '😀'.repeat(MAX_TEXT_LENGTH);
    const cut = truncateText(text);
    expect(cut.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    expect(Buffer.from(cut, 'utf8').toString('utf8')).toBe(cut);
  });

  it('a cut reason is accepted by the codec; an uncut one is refused', () => {
    const codec = new MmopCodec();
    const long = 'é😀'.repeat(MAX_TEXT_LENGTH);
    const message = (reason: string) => ({ kind: 'BYE' as const, reason });
    expect(() => codec.encode(message(long))).toThrow(/reason/);
    const decoded = codec.decode(codec.encode(message(truncateText(long))));
    expect(decoded).toMatchObject({ kind: 'BYE', reason: truncateText(long) });
  });
});
