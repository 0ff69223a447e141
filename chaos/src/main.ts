/**
 * The chaos run: `pnpm chaos [--short] [scenario...]`. Kills brokers, workers and masters of a real four-stage cluster
 * on loopback under load, and prints one line per scenario (missing, wrong, duplicates, recovery, whether a stage
 * stopped), then as its last line one JSON object with every scenario's figures. Exits 1 when a scenario has missing
 * or wrong outputs or a stopped stage (or could not run), 2 on bad usage.
 *
 * `--short` is the version CI runs (fewer inputs, shorter faults: a few minutes on two cores).
 */
import { ChaosBroker } from './broker.js';
import { formatLine, passed } from './report.js';
import type { ScenarioResult } from './report.js';
import { runScenario, vhostOf } from './run-scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const USAGE = `usage: pnpm chaos [--short] [scenario...]   (scenarios: ${SCENARIOS.map((scenario) => scenario.name).join(', ')})`;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function progress(line: string): void {
  process.stderr.write(`[chaos] ${line}\n`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    print(USAGE);
    for (const scenario of SCENARIOS) print(`  ${scenario.name.padEnd(20)} ${scenario.summary}`);
    return 0;
  }
  const short = args.includes('--short');
  const unknownFlags = args.filter((arg) => arg.startsWith('-') && arg !== '--short');
  const names = args.filter((arg) => !arg.startsWith('-'));
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknownFlags.length > 0 || unknown.length > 0) {
    process.stderr.write(`unknown: ${[...unknownFlags, ...unknown].join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const chosen =
    names.length === 0 ? SCENARIOS : SCENARIOS.filter((scenario) => names.includes(scenario.name));

  const broker = await ChaosBroker.start(chosen.map(vhostOf), progress);
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of chosen) {
      progress(`${scenario.name}: ${scenario.summary}`);
      const result = await runScenario(scenario, broker, short, progress);
      results.push(result);
      print(formatLine(result));
    }
  } finally {
    await broker.stop();
  }
  const ok = results.every(passed);
  print(JSON.stringify({ short, ok, scenarios: results }));
  return ok ? 0 : 1;
}

// Interrupted: exit, so that the exit hooks stop the apps and the broker this run started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
