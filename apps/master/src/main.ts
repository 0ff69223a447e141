#!/usr/bin/env node
/**
 * monomyth-master: runs a Monomyth master until SIGTERM or SIGINT (a second SIGINT exits at once).
 *
 *   monomyth-master --bind tcp://127.0.0.1:5555 [--heartbeat-ms 1000] [--stall-limit-ms 300000] [--log-level info]
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_MISSES,
  DEFAULT_MASTER_ENDPOINT,
  DEFAULT_STALL_LIMIT_MS,
  Master,
  MasterOptionsError,
} from '@monomyth/master';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1)
    throw new InvalidArgumentError('expected a positive integer');
  return number;
}

const program = new Command('monomyth-master')
  .description('Run a Monomyth master: workers and control clients connect to it over MMOP/1.')
  .addOption(
    new Option('--bind <endpoint>', 'where to listen')
      .env('MONOMYTH_MASTER')
      .default(DEFAULT_MASTER_ENDPOINT),
  )
  .option(
    '--heartbeat-ms <ms>',
    'how often workers heartbeat',
    positiveInteger,
    DEFAULT_HEARTBEAT_INTERVAL_MS,
  )
  .option(
    '--heartbeat-misses <n>',
    'missed heartbeats before a worker is lost',
    positiveInteger,
    DEFAULT_HEARTBEAT_MISSES,
  )
  .option(
    '--stall-limit-ms <ms>',
    'how long a worker whose event loop is blocked (stalled) keeps its nodes before it is treated as lost',
    positiveInteger,
    DEFAULT_STALL_LIMIT_MS,
  )
  .option(
    '--recovery-window-ms <ms>',
    'how long after start the master takes desired counts from the nodes workers report (default: the liveness window, at least 5000)',
    positiveInteger,
  )
  .option(
    '--start-timeout-ms <ms>',
    'how long a worker has to answer a start',
    positiveInteger,
    DEFAULT_START_TIMEOUT_MS,
  )
  .option(
    '--drain-timeout-ms <ms>',
    'how long a stopped node may drain, unless the request says otherwise',
    positiveInteger,
    DEFAULT_DRAIN_TIMEOUT_MS,
  )
  .addOption(
    new Option('--log-level <level>', 'least severe level logged')
      .choices(LOG_LEVELS)
      .default('info'),
  )
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse();

const options = program.opts<{
  bind: string;
  heartbeatMs: number;
  heartbeatMisses: number;
  stallLimitMs: number;
  recoveryWindowMs?: number;
  startTimeoutMs: number;
  drainTimeoutMs: number;
  logLevel: string;
}>();
const logger = pino({
  level: options.logLevel,
  base: { app: 'monomyth-master', pid: process.pid },
  // Readable on a terminal; one JSON object per line otherwise, for log collectors.
  transport: process.stdout.isTTY
    ? { target: 'pino-pretty', options: { colorize: true } }
    : undefined,
});

let master: Master;
try {
  master = await Master.create({
    bind: options.bind,
    heartbeatIntervalMs: options.heartbeatMs,
    heartbeatMisses: options.heartbeatMisses,
    stallLimitMs: options.stallLimitMs,
    recoveryWindowMs: options.recoveryWindowMs,
    startTimeoutMs: options.startTimeoutMs,
    drainTimeoutMs: options.drainTimeoutMs,
    logger,
  });
} catch (error) {
  if (error instanceof MasterOptionsError) {
    // Flags that do not fit together (a stall limit within the liveness window): a usage error.
    console.error(`monomyth-master: ${error.message}`);
    process.exit(2);
  }
  logger.fatal({ err: error }, 'could not start the master');
  process.exit(1);
}

let interrupts = 0;
const shutdown = (signal: NodeJS.Signals): void => {
  interrupts += 1;
  if (interrupts > 1 && signal === 'SIGINT') {
    logger.warn({ signal }, 'second interrupt: exiting now');
    process.exit(130);
  }
  logger.info({ signal }, 'shutting down');
  void master.close();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

try {
  await master.run();
  logger.info({}, 'master stopped');
} catch (error) {
  logger.fatal({ err: error }, 'the master failed');
  process.exitCode = 1;
}
