/**
 * `monomyth keygen NAME [--dir DIR] [--force]`: writes a CURVE key pair as ZeroMQ certificate files, `DIR/NAME.key`
 * (public: hand it to the master's --workers-keys or --controllers-keys directory, or to peers as --master-key) and
 * `DIR/NAME.key_secret` (secret, mode 0600: the process's own --curve-secret-key). czmq and pyzmq read both files.
 *
 * Needs no master. Exit codes: 0 written, 1 not written (a file exists and --force is not given, or the file system
 * refused), 2 bad usage (a NAME that is not a plain file name).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT_USAGE } from '@monomyth/cli-kit';
import { CertificateError, CertificateErrorCode, writeCertificatePair } from '@monomyth/mmop';

const EXIT_NOT_WRITTEN = 1;

interface KeygenOptions {
  readonly dir: string;
  readonly force: boolean;
}

/** Adds the keygen command to the CLI. */
export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description(
      'write a CURVE key pair: NAME.key (public, for the master or peers) and NAME.key_secret (secret, mode 0600)',
    )
    .argument('<name>', 'the certificate name: letters, digits, ".", "_" and "-"')
    .option('--dir <dir>', 'the directory to write to (created, mode 0700, if missing)', '.')
    .option('--force', 'replace existing files with a new pair', false)
    .action(async (name: string, local: KeygenOptions, command: Command) => {
      const { json } = command.optsWithGlobals<{ json: boolean }>();
      try {
        const written = await writeCertificatePair(
          resolve(local.dir),
          name,
          { name },
          { overwrite: local.force },
        );
        console.log(
          json
            ? JSON.stringify({ name, ...written })
            : [
                `public key:  ${written.publicKey}`,
                `public certificate: ${written.publicFile}`,
                `secret certificate: ${written.secretFile} (mode 0600: keep it where only this process's user reads it)`,
              ].join('\n'),
        );
      } catch (error) {
        if (!(error instanceof CertificateError)) throw error;
        if (error.code === CertificateErrorCode.BadName) {
          // Bad usage: say so as commander does for its own errors (message, then help), and exit 2.
          command.error(`error: ${error.reason}`, {
            exitCode: EXIT_USAGE,
            code: 'monomyth.badName',
          });
        }
        console.error(
          `monomyth keygen: ${error.message}${error.code === CertificateErrorCode.Exists ? ' (give --force to replace the pair)' : ''}`,
        );
        process.exitCode = EXIT_NOT_WRITTEN;
      }
    });
}
