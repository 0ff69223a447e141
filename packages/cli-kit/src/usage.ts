/**
 * Exit codes the commands share, and the one-line way out for a usage error: flags that do not fit together, a key
 * file that cannot be read, an option the library refused.
 */
import type { CommanderError } from 'commander';

export const EXIT_FAILURE = 1;
/** Bad usage: a flag's value, flags that do not fit together, an unreadable file named by a flag. */
export const EXIT_USAGE = 2;
/** A second SIGINT: out at once, without draining (128 + SIGINT's number, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/** Writes `<app>: <message>` on stderr and exits with `EXIT_USAGE`. */
export function exitWithUsage(app: string, message: string): never {
  process.stderr.write(`${app}: ${message}\n`);
  process.exit(EXIT_USAGE);
}

/** For `program.exitOverride(...)`: help and version exit 0, every parse error `EXIT_USAGE` (commander's own is 1). */
export function exitOnParseError(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
}
