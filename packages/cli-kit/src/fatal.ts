/**
 * A fatal start-up error, said twice: in full (with its stack) in the JSON log on stdout, for the log collector, and as
 * one readable line on stderr (`<app>: <what failed>: <why>`), for the person or the supervisor that started the
 * command and may be piping stdout elsewhere.
 */
import { describeError } from '@monomyth/mmop';
import { EXIT_FAILURE } from './usage.js';

/** The logger call made here, in pino's shape. */
export interface FatalLogger {
  fatal(fields: object, message: string): void;
}

/** Logs `what` at fatal with the error, writes the one line on stderr; does not exit. */
export function reportFatal(
  app: string,
  logger: FatalLogger | undefined,
  what: string,
  error: unknown,
): void {
  logger?.fatal({ err: error }, what);
  process.stderr.write(`${app}: ${what}: ${oneLine(describeError(error))}\n`);
}

/**
 * `reportFatal`, then exit 1. pino writes to a pipe synchronously, and ends a terminal's pretty-printing transport
 * when the process exits, so the log line is out before the process is.
 */
export function exitFatal(
  app: string,
  logger: FatalLogger | undefined,
  what: string,
  error: unknown,
): never {
  reportFatal(app, logger, what, error);
  process.exit(EXIT_FAILURE);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
