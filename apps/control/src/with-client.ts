/**
 * What every command that talks to the master shares: one client per command, built from the global options, and the
 * mapping of its failures to the CLI's exit codes (1 the master answered with a failure, 2 bad usage, 3 no answer).
 * Commands live in main.ts or, when they are a family of their own, in a file of their own that registers them.
 */
import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_USAGE, loadClientCurveKeys } from '@monomyth/cli-kit';
import { ControlClient, ControlRequestError, MasterUnreachableError } from '@monomyth/control';

const EXIT_FAILURE_REPLY = EXIT_FAILURE;
const EXIT_UNREACHABLE = 3;

/** The options every command has (set on the program). */
export interface GlobalOptions {
  master: string;
  json: boolean;
  timeoutMs: number;
  curveSecretKey?: string;
  masterKey?: string;
}

/** Runs one command against the master, prints its result, and maps failures to the CLI's exit codes. */
export async function withClient(
  command: Command,
  act: (client: ControlClient, options: GlobalOptions) => Promise<void>,
  { pingFirst = false } = {},
): Promise<void> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const keys = await loadClientCurveKeys(options, 'client');
  if ('error' in keys) {
    console.error(`monomyth: ${keys.error}`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  const client = new ControlClient({
    master: options.master,
    timeoutMs: options.timeoutMs,
    ...keys,
  });
  try {
    // Requests that wait on workers (start, stop) may legitimately take long; a master that is not there should
    // be reported within --timeout-ms all the same, so ask it for a PONG first.
    if (pingFirst) await client.ping();
    await act(client, options);
  } catch (error) {
    if (error instanceof MasterUnreachableError) {
      console.error(`monomyth: ${error.message}`);
      process.exitCode = EXIT_UNREACHABLE;
    } else if (error instanceof ControlRequestError) {
      if (options.json)
        console.log(
          JSON.stringify({
            error: { status: error.status, code: error.code, reason: error.reason },
          }),
        );
      console.error(`monomyth: ${error.reason} (${error.status} ${error.code})`);
      process.exitCode = EXIT_FAILURE_REPLY;
    } else {
      throw error;
    }
  } finally {
    client.close();
  }
}

/** Prints `data` as JSON with --json, else the human form. */
export function print(options: GlobalOptions, data: unknown, human: string): void {
  console.log(options.json ? JSON.stringify(data) : human);
}
