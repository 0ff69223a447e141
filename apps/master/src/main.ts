#!/usr/bin/env node
/**
 * monomyth-master: runs a Monomyth master until SIGTERM or SIGINT (a second SIGINT exits at once). SIGHUP reloads the
 * key directories.
 *
 *   monomyth-master --bind tcp://127.0.0.1:5555 [--heartbeat-ms 1000] [--stall-limit-ms 300000] [--log-level info]
 *                   [--curve-secret-key FILE --workers-keys DIR --controllers-keys DIR] [--insecure]
 *                   [--state FILE] [--http HOST:PORT [--http-token TOKEN]]
 *
 * `--http` (off by default; a bare PORT listens on the loopback) serves the dashboard, /api/cluster, /events,
 * /metrics, /live and /ready (docs/observability.md).
 *
 * Exit codes: 0 stopped, 1 failed, 2 bad usage (including a non-loopback bind without CURVE or --insecure).
 */
import { Command, Option } from 'commander';
import {
  EXIT_FAILURE,
  createAppLogger,
  curveSecretKeyOption,
  durationArgument,
  exitFatal,
  exitOnParseError,
  exitWithUsage,
  handleShutdownSignals,
  loadSecretKey,
  logLevelOption,
  masterEndpointOption,
  packageVersion,
  parseHttpAddress,
  reportFatal,
  wholeNumberArgument,
} from '@monomyth/cli-kit';
import type { HttpAddress } from '@monomyth/cli-kit';
import { CertificateError } from '@monomyth/mmop';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MASTER_START_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_MISSES,
  DEFAULT_STALL_LIMIT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  Master,
  InvalidOptionError,
} from '@monomyth/master';

const APP = 'monomyth-master';
// The master refuses what these refuse: the flags check by the same rules (positive whole milliseconds).
const positiveMs = durationArgument({ min: 1 });

const program = new Command(APP)
  .description('Run a Monomyth master: workers and control clients connect to it over MMOP/1.')
  .version(packageVersion(import.meta.url))
  .addOption(masterEndpointOption('--bind <endpoint>', 'where to listen'))
  .option(
    '--heartbeat-ms <ms>',
    'how often workers heartbeat',
    positiveMs,
    DEFAULT_HEARTBEAT_INTERVAL_MS,
  )
  .option(
    '--heartbeat-misses <n>',
    'missed heartbeats before a worker is lost',
    wholeNumberArgument({ min: 1 }),
    DEFAULT_HEARTBEAT_MISSES,
  )
  .option(
    '--counters-interval-ms <ms>',
    'how often heartbeats must carry new node counters and queue counts; between, an unchanged worker repeats its last heartbeat, answered without decoding (default: every heartbeat)',
    positiveMs,
  )
  .option(
    '--stall-limit-ms <ms>',
    'how long a worker whose event loop is blocked (stalled) keeps its nodes before it is treated as lost',
    positiveMs,
    DEFAULT_STALL_LIMIT_MS,
  )
  .option(
    '--recovery-window-ms <ms>',
    'how long after start the master takes desired counts from the nodes workers report (default: the liveness window, at least 5000)',
    positiveMs,
  )
  .option(
    '--start-timeout-ms <ms>',
    'how long a worker has to answer a start',
    positiveMs,
    DEFAULT_MASTER_START_TIMEOUT_MS,
  )
  .option(
    '--drain-timeout-ms <ms>',
    'how long a stopped node may drain, unless the request says otherwise',
    positiveMs,
    DEFAULT_DRAIN_TIMEOUT_MS,
  )
  .option(
    '--max-frame-bytes <n>',
    'the largest frame a peer may send; a peer sending a larger one is disconnected',
    wholeNumberArgument({ min: 4096 }),
    DEFAULT_MAX_FRAME_BYTES,
  )
  .addOption(
    curveSecretKeyOption(
      "the master's secret certificate (NAME.key_secret): turns CURVE on, so only listed keys may connect",
    ),
  )
  .addOption(
    new Option(
      '--workers-keys <dir>',
      'public certificates (*.key) of the workers allowed to register; reloaded on SIGHUP',
    ).env('MONOMYTH_WORKERS_KEYS'),
  )
  .addOption(
    new Option(
      '--controllers-keys <dir>',
      'public certificates (*.key) of the controllers allowed to send control requests; reloaded on SIGHUP',
    ).env('MONOMYTH_CONTROLLERS_KEYS'),
  )
  .option(
    '--insecure',
    'allow plain MMOP on an address other than loopback: anyone who reaches it controls the cluster',
    false,
  )
  .option(
    '--state <file>',
    'keep the desired state (counts, autoscale policies set at run time) in this file across restarts',
  )
  .option(
    '--http <host:port>',
    'serve the dashboard (/), /api/cluster, /events, /metrics, /live and /ready here (a bare PORT: loopback); an operator port, keep it private',
  )
  .option(
    '--http-token <token>',
    'require Authorization: Bearer <token> (or ?access_token=) on --http',
  )
  .addOption(logLevelOption())
  .exitOverride(exitOnParseError)
  .parse();

const options = program.opts<{
  bind: string;
  heartbeatMs: number;
  heartbeatMisses: number;
  stallLimitMs: number;
  recoveryWindowMs?: number;
  countersIntervalMs?: number;
  startTimeoutMs: number;
  drainTimeoutMs: number;
  maxFrameBytes: number;
  curveSecretKey?: string;
  workersKeys?: string;
  controllersKeys?: string;
  insecure: boolean;
  state?: string;
  http?: string;
  httpToken?: string;
  logLevel: string;
}>();

let httpAddress: HttpAddress | undefined;
try {
  httpAddress = options.http === undefined ? undefined : parseHttpAddress(options.http);
} catch (error) {
  exitWithUsage(APP, (error as Error).message);
}
if (options.httpToken !== undefined && httpAddress === undefined)
  exitWithUsage(APP, '--http-token needs --http');
if (options.httpToken === '') exitWithUsage(APP, '--http-token: expected a token, got nothing');

let curveSecretKey: string | undefined;
if (options.curveSecretKey !== undefined) {
  const loaded = await loadSecretKey(options.curveSecretKey);
  if ('error' in loaded) exitWithUsage(APP, loaded.error);
  curveSecretKey = loaded.curveSecretKey;
}
const logger = createAppLogger(APP, options.logLevel);

let master: Master;
try {
  master = await Master.create({
    bind: options.bind,
    heartbeatIntervalMs: options.heartbeatMs,
    heartbeatMisses: options.heartbeatMisses,
    countersIntervalMs: options.countersIntervalMs,
    stallLimitMs: options.stallLimitMs,
    recoveryWindowMs: options.recoveryWindowMs,
    startTimeoutMs: options.startTimeoutMs,
    drainTimeoutMs: options.drainTimeoutMs,
    maxFrameBytes: options.maxFrameBytes,
    curveSecretKey,
    workersKeysDir: options.workersKeys,
    controllersKeysDir: options.controllersKeys,
    insecure: options.insecure,
    stateFile: options.state,
    http: httpAddress && { ...httpAddress, token: options.httpToken },
    logger,
  });
} catch (error) {
  if (error instanceof InvalidOptionError || error instanceof CertificateError) {
    // Flags that do not fit together (a stall limit within the liveness window): a usage error.
    exitWithUsage(APP, error.message);
  }
  exitFatal(APP, logger, 'could not start the master', error);
}

handleShutdownSignals({ logger, drain: () => void master.close() });
// Key rotation without a restart: the directories are read again; a bad file keeps the old lists.
process.on('SIGHUP', () => {
  master.reloadKeys().then(
    (reloaded) => {
      if (!reloaded) logger.warn({}, 'SIGHUP: no keys to reload (CURVE is off)');
    },
    (error: unknown) =>
      logger.error({ err: error }, 'SIGHUP: could not reload the keys; the old lists stay'),
  );
});

try {
  await master.run();
  logger.info({}, 'master stopped');
} catch (error) {
  reportFatal(APP, logger, 'the master failed', error);
  process.exitCode = EXIT_FAILURE;
}
