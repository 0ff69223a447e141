/** Feeds lines to the word-count system in one process and checks the counts: `pnpm --filter @monomyth/example-word-count check`. */
import { startSystem } from '@monomyth/testing';
import system, { countWords, expectedCounts } from './system.js';
import { sampleLines } from './text.js';

const lines = sampleLines(500);
const expected = expectedCounts(lines);
const total = [...expected.values()].reduce((sum, count) => sum + count, 0);
const harness = await startSystem(system, { instances: 2 });
try {
  await harness.push(lines);
  const counts = countWords((await harness.collect(total, { timeoutMs: 30_000 })) as string[]);
  const wrong = [...expected].filter(([word, count]) => counts.get(word) !== count);
  console.log(
    `${lines.length} lines, ${total} words counted, ${counts.size} distinct; ${wrong.length} counts wrong`,
  );
  for (const [word, count] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5))
    console.log(`  ${word.padEnd(12)} ${count}`);
  if (wrong.length > 0) process.exitCode = 1;
} finally {
  await harness.stop();
}
