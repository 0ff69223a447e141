/**
 * The benchmark runner: `pnpm bench <name>`. Each benchmark prints readable figures, and this runner prints as its last
 * line one JSON object with the figures and ratios, for scripts to compare runs.
 */
import { runAutoscaleBench } from './autoscale.js';
import { runCodecBench } from './codec.js';
import { runCrashBench } from './crash.js';
import { runNodeBench } from './node.js';
import { runOrchestrationBench } from './orchestration.js';
import { runRmqBench } from './rmq.js';

const BENCHES: Record<string, () => Promise<Record<string, unknown>> | Record<string, unknown>> = {
  autoscale: runAutoscaleBench,
  codec: runCodecBench,
  crash: runCrashBench,
  node: runNodeBench,
  orchestration: runOrchestrationBench,
  rmq: runRmqBench,
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const bench = name === undefined ? undefined : BENCHES[name];
  if (!bench) {
    console.error(`usage: pnpm bench <${Object.keys(BENCHES).join('|')}>`);
    process.exit(2);
  }
  const results = await bench();
  console.log(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
