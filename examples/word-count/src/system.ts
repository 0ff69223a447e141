/**
 * Word count as a Monomyth system. SPLIT turns a line into its words (a transform that returns an array: each element
 * becomes its own message, so one input fans out into many), FILTER drops stop words (a transform that returns
 * nothing filters the message out), and the words that remain arrive on FILTER-to-END, where whoever reads them counts
 * them (the check script does; a sink node writing to a database would too).
 *
 *   START-to-SPLIT -> SPLIT -> SPLIT-to-FILTER -> FILTER -> FILTER-to-END
 */
import { defineSystem } from '@monomyth/node';

export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'the',
  'of',
  'to',
  'in',
  'is',
  'it',
]);

/** The words of a line: lower case, letters and apostrophes. */
export function wordsOf(line: string): string[] {
  return line.toLowerCase().match(/[a-z']+/g) ?? [];
}

export default defineSystem({
  name: 'word-count',
  nodes: [
    { name: 'SPLIT', batchSize: 50, transform: (line: string) => wordsOf(line) },
    {
      name: 'FILTER',
      batchSize: 100,
      transform: (word: string) => (STOP_WORDS.has(word) ? undefined : word),
    },
  ],
});

export function countWords(words: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

/** The count the system's output must add up to, done directly. */
export function expectedCounts(lines: readonly string[]): Map<string, number> {
  return countWords(lines.flatMap(wordsOf).filter((word) => !STOP_WORDS.has(word)));
}
