/** Timing helpers shared by the benchmarks: warm up, then alternate the contenders in rounds and keep the median. */

export interface Rate {
  readonly opsPerSec: number;
}

/** Runs `fn` in batches for about `ms` milliseconds and returns calls per second. */
export function rate(fn: () => void, ms: number): number {
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 1000; i++) fn();
    calls += 1000;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return (calls / elapsed) * 1000;
}

/**
 * Measures contenders side by side: each is warmed up, then all run in turn for `rounds` rounds, so drift in the
 * machine's speed hits them alike. Returns the median rate of each.
 */
export function compare<K extends string>(
  contenders: Record<K, () => void>,
  { rounds = 7, msPerRound = 300 } = {},
): Record<K, number> {
  const names = Object.keys(contenders) as K[];
  for (const name of names) rate(contenders[name], msPerRound);
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) samples[name].push(rate(contenders[name], msPerRound));
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name])])) as Record<
    K,
    number
  >;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function formatRate(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')}/s`;
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
