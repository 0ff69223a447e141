/**
 * The commands' logger: pino, at the level `--log-level` chose, with the command's name and pid on every line.
 * Readable on a terminal (pino-pretty); one JSON object per line otherwise, for log collectors.
 */
import { Option } from 'commander';
import { pino } from 'pino';
import type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** `--log-level <level>`, one of `LOG_LEVELS`, `info` by default. */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'least severe level logged')
    .choices(LOG_LEVELS)
    .default(DEFAULT_LOG_LEVEL);
}

export function createAppLogger(app: string, level: string): Logger {
  return pino({
    level,
    base: { app, pid: process.pid },
    // pino's default `err` serializer appends each cause's message to the error's own, and Monomyth errors already
    // quote their cause: the same text would show twice. The cause stays, as a nested object.
    serializers: { err: pino.stdSerializers.errWithCause },
    transport: process.stdout.isTTY
      ? { target: 'pino-pretty', options: { colorize: true } }
      : undefined,
  });
}
