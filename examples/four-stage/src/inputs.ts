/** The example's inputs and the output each must become, computed without the system, to check it against. */

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `count` random base-36 strings of length 20, as the original's test used. */
export function randomInputs(count: number, random: () => number = Math.random): string[] {
  return Array.from({ length: count }, () => {
    let text = '';
    for (let i = 0; i < 20; i++) text += BASE36[Math.floor(random() * 36)];
    return text;
  });
}

export function expectedOutput(input: string): string {
  return `test ${(BigInt(`${input}18`.replace(/[^0-9]/g, '')) * 7n).toString()}`;
}

/** Compares outputs with the inputs' expected outputs as multisets: what is missing, what is unexpected, duplicates. */
export function checkOutputs(
  inputs: readonly string[],
  outputs: readonly string[],
): { missing: number; unexpected: number; duplicates: number } {
  const wanted = new Map<string, number>();
  for (const input of inputs) {
    const output = expectedOutput(input);
    wanted.set(output, (wanted.get(output) ?? 0) + 1);
  }
  let unexpected = 0;
  let duplicates = 0;
  for (const output of outputs) {
    const remaining = wanted.get(output);
    if (remaining === undefined) unexpected += 1;
    else if (remaining === 0) duplicates += 1;
    else wanted.set(output, remaining - 1);
  }
  let missing = 0;
  for (const remaining of wanted.values()) missing += remaining;
  return { missing, unexpected, duplicates };
}
