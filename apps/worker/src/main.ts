#!/usr/bin/env node
/**
 * monomyth-worker: runs the nodes of a system for a Monomyth master until SIGTERM or SIGINT, which drain its nodes
 * (a second SIGINT exits at once).
 *
 *   monomyth-worker --master tcp://127.0.0.1:5555 --system ./path/to/system.js [--amqp amqp://guest:guest@127.0.0.1:5672] [--name NAME]
 *
 * With a master that has CURVE on: `--curve-secret-key FILE` (this worker's secret certificate) and `--master-key FILE`
 * (the master's public certificate). A master that refuses the worker's name (another live worker holds it) makes it
 * exit 1 with one line.
 *
 * `--amqp` takes one URL or a comma-separated list (the nodes of one RabbitMQ cluster): the worker connects to the
 * first that answers and, when that node goes away, to the next.
 *
 * `--http HOST:PORT` (off by default; a bare PORT listens on the loopback) serves /live, /ready and /metrics
 * (docs/observability.md); `--http-token TOKEN` makes them require `Authorization: Bearer TOKEN`.
 */
import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import {
  createAppLogger,
  curveSecretKeyOption,
  durationArgument,
  exitFatal,
  exitOnParseError,
  exitWithUsage,
  handleShutdownSignals,
  loadClientCurveKeys,
  logLevelOption,
  masterEndpointOption,
  masterKeyOption,
  packageVersion,
  parseHttpAddress,
  reportFatal,
  wholeNumberArgument,
} from '@monomyth/cli-kit';
import type { HttpAddress } from '@monomyth/cli-kit';
import { describeError } from '@monomyth/mmop';
import {
  DEFAULT_WORKER_CAPACITY,
  DEFAULT_DRAIN_TIMEOUT_MS,
  InvalidOptionError,
  Worker,
  WorkerLinkError,
  WorkerMetrics,
  WorkerRefusedError,
  startWorkerHttp,
  workerReadiness,
} from '@monomyth/worker';
import type { WorkerHttpServer } from '@monomyth/worker';
import { QUEUE_TYPES } from '@monomyth/rmq';
import { openAdapter, parseAmqpUrls } from './adapter.js';
import type { QueueType } from './adapter.js';
import { loadSystem } from './load-system.js';
import { AdapterModuleError } from './adapter-module.js';

const APP = 'monomyth-worker';

const program = new Command(APP)
  .description("Run a system's nodes for a Monomyth master.")
  .version(packageVersion(import.meta.url))
  .addOption(masterEndpointOption('--master <endpoint>', "the master's endpoint"))
  // Checked after parsing, not as a commander required option: commander reports a missing required option before an
  // unknown one, so a mistyped `--sytem` would be reported as the missing --system.
  .option('--system <path>', 'a module whose default export is defineSystem(...) (required)')
  .addOption(
    // MONOMYTH_AMQP_URL is read below, not with .env(): commander counts a variable's value in .conflicts(), and a
    // variable set for the whole shell should not make `--memory` an error; the flag typed with it should.
    new Option(
      '--amqp <urls>',
      'the RabbitMQ the nodes use: a URL, or a comma-separated list of the nodes of one cluster ' +
        '(env: MONOMYTH_AMQP_URL, which --memory overrides)',
    ).conflicts('memory'),
  )
  .option(
    '--memory',
    'use the in-memory adapter instead of RabbitMQ (its queues live only in this process)',
    false,
  )
  .addOption(
    new Option(
      '--adapter <module>',
      "use the stream adapter that this module's default export creates (docs/writing-a-stream-adapter.md)",
    ).conflicts(['memory', 'queueType', 'reconnectAttempts']),
  )
  .option('--name <id>', 'the worker id (default: monomyth-worker-<random>)')
  .option(
    '--capacity <n>',
    'most nodes this worker runs',
    wholeNumberArgument({ min: 1 }),
    DEFAULT_WORKER_CAPACITY,
  )
  .option(
    '--drain-ms <ms>',
    'how long nodes may take to drain on SIGTERM',
    durationArgument(),
    DEFAULT_DRAIN_TIMEOUT_MS,
  )
  .option(
    '--reconnect-attempts <n>',
    'reconnections to RabbitMQ tried in a row before the worker gives up and exits 1 (default: no limit)',
    wholeNumberArgument({ min: 1 }),
  )
  .addOption(
    new Option(
      '--queue-type <type>',
      'how queues are declared: quorum (replicated across a cluster, no replay after a crash) or classic ' +
        '(default: quorum)',
    ).choices(QUEUE_TYPES),
  )
  .addOption(
    new Option('--quorum-queues', 'deprecated: the same as --queue-type quorum')
      .default(false)
      .hideHelp(),
  )
  .addOption(
    curveSecretKeyOption(
      "this worker's secret certificate (NAME.key_secret), for a master with CURVE on",
    ),
  )
  .addOption(masterKeyOption())
  .option(
    '--http <host:port>',
    'serve /live, /ready and /metrics on this address (a bare PORT: on the loopback; default: off)',
  )
  .option('--http-token <token>', 'require Authorization: Bearer <token> on the --http endpoints')
  .addOption(logLevelOption())
  .exitOverride(exitOnParseError)
  .parse();

const options = program.opts<{
  master: string;
  system?: string;
  amqp?: string;
  memory: boolean;
  adapter?: string;
  name?: string;
  capacity: number;
  drainMs: number;
  reconnectAttempts?: number;
  queueType?: QueueType;
  quorumQueues: boolean;
  curveSecretKey?: string;
  masterKey?: string;
  http?: string;
  httpToken?: string;
  logLevel: string;
}>();

if (options.system === undefined)
  exitWithUsage(APP, "required option '--system <path>' not specified");
const systemPath = options.system;

const curve = await loadClientCurveKeys(options, 'worker');
if ('error' in curve) exitWithUsage(APP, curve.error);

const amqp = options.amqp ?? (process.env.MONOMYTH_AMQP_URL || undefined);
if (!options.memory && options.adapter === undefined && amqp === undefined) {
  exitWithUsage(
    APP,
    'say where the queues are: --amqp URL (or MONOMYTH_AMQP_URL), --memory, or --adapter MODULE',
  );
}
let amqpUrls: string[] | undefined;
try {
  // With --adapter, --amqp is optional: passed to the module when given.
  amqpUrls = options.memory || amqp === undefined ? undefined : parseAmqpUrls(amqp);
} catch (error) {
  exitWithUsage(APP, describeError(error));
}
if (options.quorumQueues && options.queueType === 'classic') {
  exitWithUsage(APP, '--quorum-queues contradicts --queue-type classic');
}
const queueType: QueueType | undefined = options.quorumQueues ? 'quorum' : options.queueType;
let httpAddress: HttpAddress | undefined;
try {
  httpAddress = options.http === undefined ? undefined : parseHttpAddress(options.http);
} catch (error) {
  exitWithUsage(APP, describeError(error));
}
if (options.httpToken !== undefined && httpAddress === undefined)
  exitWithUsage(APP, '--http-token needs --http');
if (options.httpToken === '') exitWithUsage(APP, '--http-token: expected a token, got nothing');

const logger = createAppLogger(APP, options.logLevel);

if (options.quorumQueues)
  logger.warn('--quorum-queues is deprecated: use --queue-type quorum (the same queues)');

let system;
try {
  system = await loadSystem(systemPath);
} catch (error) {
  // The module's own error, with its stack, for whoever debugs it; the one line says what to do.
  logger.debug({ err: error }, 'the system module did not load');
  await new Promise<void>((resolve) => {
    logger.flush(() => resolve());
  });
  exitWithUsage(APP, describeError(error));
}

// The id is chosen here, before the worker exists, so the broker connections can be named after it.
const workerId = options.name ?? `monomyth-worker-${randomUUID().slice(0, 8)}`;
let opened;
try {
  opened = await openAdapter(
    {
      amqp: amqpUrls,
      memory: options.memory,
      module: options.adapter,
      workerId,
      reconnectAttempts: options.reconnectAttempts,
      queueType,
    },
    logger,
  );
} catch (error) {
  // A module that does not load or make an adapter is bad usage, as a bad --system is.
  if (error instanceof AdapterModuleError) exitWithUsage(APP, describeError(error));
  exitFatal(APP, logger, 'could not open the stream adapter', error);
}

const { adapter } = opened;
// Counted by an interceptor once per batch, read on scrape; only with --http, so a worker without it pays nothing.
const metrics = httpAddress && new WorkerMetrics({ types: system.types });
let worker: Worker;
try {
  worker = new Worker({
    master: options.master,
    ...curve,
    system,
    adapter,
    id: workerId,
    capacity: options.capacity,
    drainTimeoutMs: options.drainMs,
    logger,
    interceptors: metrics ? [metrics.interceptor] : [],
    // While a transform blocks the event loop, the logger (on that loop) cannot write: the link thread warns on stdout.
    stallLogFd: 1,
  });
} catch (error) {
  // What the flags could not check alone (a --name the master could not take): bad usage, like a refused flag.
  await adapter.close();
  if (error instanceof InvalidOptionError) exitWithUsage(APP, error.message);
  exitFatal(APP, logger, 'could not start the worker', error);
}

handleShutdownSignals({
  logger,
  drain: (signal) =>
    void worker.close({ drainTimeoutMs: options.drainMs, reason: `${signal} received` }),
  message: 'draining',
  fields: { drainMs: options.drainMs },
  exitMessage: 'second interrupt: exiting now; unacknowledged messages go back to their queues',
});

// A broker gone for good leaves nothing for this worker to do: leave, and let the process supervisor start it again.
void opened.failed?.then((error) => {
  reportFatal(APP, logger, 'the stream adapter gave up; the worker leaves', error);
  process.exitCode = 1;
  void worker.close({
    drainTimeoutMs: 0,
    reason: `the stream adapter gave up: ${error.message}`,
  });
});

let http: WorkerHttpServer | undefined;
if (httpAddress && metrics) {
  metrics.observe(() => worker.nodes());
  try {
    http = await startWorkerHttp({
      ...httpAddress,
      metrics,
      token: options.httpToken,
      ready: workerReadiness({ worker, adapter, adapterFailed: opened.failed }),
    });
  } catch (error) {
    await adapter.close();
    exitFatal(APP, logger, `could not serve --http on ${options.http ?? ''}`, error);
  }
  logger.info({ url: http.url }, `serving /live, /ready and /metrics on ${http.url}`);
}

logger.info({ workerId: worker.id, system: system.name, types: system.types }, 'worker starting');
try {
  await worker.run();
} catch (error) {
  // Refused: trying again under this name would be refused again. Link failed: this process can no longer hear a
  // master. Either way, say why in one line and exit 1, for the process supervisor to act on.
  if (error instanceof WorkerRefusedError || error instanceof WorkerLinkError)
    console.error(`${APP}: ${error.message}`);
  else reportFatal(APP, logger, 'the worker failed', error);
  process.exitCode = 1;
}
await http?.close();
await adapter.close();
