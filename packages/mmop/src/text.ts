/**
 * The bound on MMOP/1's human-readable text fields (`reason`, `host`: the `Text` of wire-shapes.ts), and the one way
 * to make a message fit it. The bound counts UTF-16 code units, as JavaScript's `length` does (docs/mmop.md §4).
 */

/** The longest `reason` (or other Text field) a body may carry, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 8192;

/** Marks a text cut short. */
const ELLIPSIS = '…';

/**
 * `text` as it is when it fits MAX_TEXT_LENGTH (or `max`), else cut to fit with a trailing `…`. Never splits a
 * surrogate pair: half a pair would not survive the UTF-8 encoding on the wire.
 */
export function truncateText(text: string, max: number = MAX_TEXT_LENGTH): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}
