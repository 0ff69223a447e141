#!/usr/bin/env node
/**
 * monomyth: the control CLI. Asks the master to start and stop nodes and shows the cluster.
 *
 *   monomyth [--master URL] [--curve-secret-key FILE --master-key FILE] [--json] ping | workers [--type T] [--limit N] | recipes [--limit N] | start TYPE [-n N] | stop-node TYPE|NODE [-n N] | stop-worker ID
 *
 *   monomyth keygen NAME [--dir DIR] [--force]      writes a CURVE key pair (keygen.ts); needs no master
 *
 * Exit codes: 0 success, 1 the master answered with a failure, 2 bad usage, 3 the master did not answer in time.
 */
import { Command } from 'commander';
import {
  EXIT_FAILURE,
  curveSecretKeyOption,
  durationArgument,
  exitOnParseError,
  masterEndpointOption,
  masterKeyOption,
  packageVersion,
  reportFatal,
  wholeNumberArgument,
} from '@monomyth/cli-kit';
import { DEFAULT_CONTROL_TIMEOUT_MS } from '@monomyth/control';
import type { ControlClient } from '@monomyth/control';
import { registerFailedCommands } from './failed-commands.js';
import { registerKeygen } from './keygen.js';
import { registerScalingCommands } from './scaling-commands.js';
import { registerTop } from './top-command.js';
import { print, withClient } from './with-client.js';
import { outcomesTable, recipesTable, workersTable } from './tables.js';

/** How many nodes one start or stop asks for. */
const count = wholeNumberArgument({ min: 1, max: 10_000 });
const listLimit = wholeNumberArgument({ min: 1 });
const milliseconds = durationArgument();

const program = new Command('monomyth')
  .description('Control a Monomyth cluster: start and stop nodes, list workers and node types.')
  .version(packageVersion(import.meta.url))
  .addOption(masterEndpointOption('--master <endpoint>', "the master's endpoint"))
  .addOption(
    curveSecretKeyOption(
      "this client's secret certificate (NAME.key_secret), for a master with CURVE on",
    ),
  )
  .addOption(masterKeyOption())
  .option('--json', 'print machine-readable JSON instead of tables', false)
  .option(
    '--timeout-ms <ms>',
    'how long to wait for the master to answer ping and info requests',
    milliseconds,
    DEFAULT_CONTROL_TIMEOUT_MS,
  )
  // A usage error is its one line (commander's `error: ...`), as with the other two commands; --help shows the rest.
  .exitOverride(exitOnParseError);

program
  .command('ping')
  .description('check that the master answers; prints its epoch and the round trip')
  .action(async (_options, command: Command) =>
    withClient(command, async (client, options) => {
      const pong = await client.ping();
      print(
        options,
        pong,
        `master ${options.master} answered in ${pong.roundTripMs.toFixed(1)} ms (epoch ${pong.masterEpoch})`,
      );
    }),
  );

/** What `workers` and `recipes` take: filters applied at the master. */
interface ListOptions {
  type?: string;
  limit?: number;
}

/** A command that lists what the master knows: JSON, or a table for people. */
function listCommand<T>(
  name: string,
  description: string,
  fetch: (client: ControlClient, list: ListOptions) => Promise<T[]>,
  render: (items: readonly T[]) => string,
  withType: boolean,
): void {
  const command = program
    .command(name)
    .description(description)
    .option('--limit <n>', 'list at most this many', listLimit);
  if (withType) command.option('--type <type>', 'only the workers that offer this node type');
  command.action(async (list: ListOptions, self: Command) =>
    withClient(self, async (client, options) => {
      const items = await fetch(client, list);
      print(options, items, render(items));
    }),
  );
}

listCommand(
  'workers',
  'list the registered workers and their nodes',
  (client, list) => client.workers(list),
  workersTable,
  true,
);
listCommand(
  'recipes',
  'list the node types the workers offer, with desired, running and starting counts',
  (client, list) => client.recipes(list),
  recipesTable,
  false,
);

program
  .command('start')
  .description('start nodes of a type; answered once the workers have started them')
  .argument('<type>', 'the node type')
  .option('-n, --count <n>', 'how many nodes', count, 1)
  .action(async (type: string, local: { count: number }, command: Command) =>
    withClient(
      command,
      async (client, options) => {
        const result = await client.startNode(type, local.count);
        const failures = result.failures.map((failure) => ({
          workerId: failure.workerId,
          reason: `${failure.category}: ${failure.reason}`,
        }));
        print(options, result, outcomesTable('started', result.started, failures));
      },
      { pingFirst: true },
    ),
  );

program
  .command('stop-node')
  .description('stop nodes of a type, or one node by name; answered once they have drained')
  .argument('<target>', 'a node type or a node name')
  .option('-n, --count <n>', 'how many nodes of the type', count, 1)
  .option('--drain-ms <ms>', 'how long each node may take to drain', milliseconds)
  .action(async (target: string, local: { count: number; drainMs?: number }, command: Command) =>
    withClient(
      command,
      async (client, options) => {
        const result = await client.stopNode(target, local.count, {
          drainTimeoutMs: local.drainMs,
        });
        const matched = [...result.stopped, ...result.failures];
        // A node name stops that one node, whatever -n says; a type stops up to -n of the running ones.
        const byName = matched.some((node) => node.nodeName === target);
        const notRunning = byName ? 0 : Math.max(0, local.count - matched.length);
        if (options.json || matched.length > 0)
          print(
            options,
            { ...result, notRunning },
            outcomesTable('stopped', result.stopped, result.failures),
          );
        if (matched.length === 0) {
          console.error(
            `monomyth: no ${target} node was running; ${local.count} fewer are wanted all the same`,
          );
          process.exitCode = EXIT_FAILURE;
        } else if (notRunning > 0) {
          console.error(
            `monomyth: ${notRunning} of the ${local.count} ${target} nodes asked for were not running`,
          );
        }
      },
      { pingFirst: true },
    ),
  );

program
  .command('stop-worker')
  .description('drain a worker and let it leave; its nodes are started on the other workers')
  .argument('<id>', 'the worker id')
  .option('--drain-ms <ms>', 'how long its nodes may take to drain', milliseconds)
  .action(async (id: string, local: { drainMs?: number }, command: Command) =>
    withClient(
      command,
      async (client, options) => {
        const result = await client.stopWorker(id, { drainTimeoutMs: local.drainMs });
        print(options, result, `worker ${result.workerId} drained and left`);
      },
      { pingFirst: true },
    ),
  );

registerScalingCommands(program);
registerTop(program);
registerFailedCommands(program);
registerKeygen(program);

try {
  await program.parseAsync();
} catch (error) {
  // Not an answer from the master nor bad usage (withClient maps those): a bug or the machine. One line, exit 1.
  reportFatal('monomyth', undefined, 'failed', error);
  process.exitCode = EXIT_FAILURE;
}
