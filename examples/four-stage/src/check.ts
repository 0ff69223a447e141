/**
 * Feeds the 4-stage system and checks every output, in one process on the in-memory adapter:
 * `pnpm --filter @monomyth/example-four-stage check`.
 */
import { startSystem } from '@monomyth/testing';
import system from './system.js';
import { checkOutputs, randomInputs } from './inputs.js';

const inputs = randomInputs(1000);
const harness = await startSystem(system, { instances: 2 });
try {
  await harness.push(inputs);
  const outputs = (await harness.collect(inputs.length, { timeoutMs: 30_000 })) as string[];
  const result = checkOutputs(inputs, outputs);
  console.log(
    `${inputs.length} inputs, ${outputs.length} outputs: ${result.missing} missing, ${result.unexpected} unexpected`,
  );
  if (result.missing > 0 || result.unexpected > 0) process.exitCode = 1;
} finally {
  await harness.stop();
}
