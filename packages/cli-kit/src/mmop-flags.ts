/**
 * The MMOP flags the commands share: where the master is (`--master`, or the master's own `--bind`) and the CURVE
 * keys read from certificate files (`--curve-secret-key`, `--master-key`), each with its environment variable. A key
 * file that is missing or is not a certificate, or half a CURVE setting, is a usage error: the loaders return its one
 * line for the command to report, and let anything else (a bug) through.
 */
import { Option } from 'commander';
import {
  CertificateError,
  DEFAULT_MASTER_ENDPOINT,
  readCertificate,
  readSecretCertificate,
} from '@monomyth/mmop';
import { endpointArgument } from './arguments.js';

/** A usage error's one line, in place of what a loader would have returned. */
export interface FlagError {
  readonly error: string;
}

/** The master's endpoint: checked as an MMOP endpoint, from MONOMYTH_MASTER when not given, else the default. */
export function masterEndpointOption(flags: string, description: string): Option {
  return new Option(flags, description)
    .argParser(endpointArgument)
    .env('MONOMYTH_MASTER')
    .default(DEFAULT_MASTER_ENDPOINT);
}

/** `--curve-secret-key <file>`: this process's secret certificate (`NAME.key_secret`), or MONOMYTH_CURVE_SECRET_KEY. */
export function curveSecretKeyOption(description: string): Option {
  return new Option('--curve-secret-key <file>', description).env('MONOMYTH_CURVE_SECRET_KEY');
}

/** `--master-key <file>`: the master's public certificate (`NAME.key`), or MONOMYTH_MASTER_KEY. */
export function masterKeyOption(): Option {
  return new Option('--master-key <file>', "the master's public certificate (NAME.key)").env(
    'MONOMYTH_MASTER_KEY',
  );
}

async function orFlagError<T>(read: () => Promise<T>): Promise<T | FlagError> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof CertificateError) return { error: error.message };
    throw error;
  }
}

/** The secret key in the certificate file `--curve-secret-key` names. */
export function loadSecretKey(file: string): Promise<{ curveSecretKey: string } | FlagError> {
  return orFlagError(async () => ({
    curveSecretKey: (await readSecretCertificate(file)).secretKey,
  }));
}

/**
 * A client's CURVE keys (a worker's or a controller's: its own secret key and the master's public key), both or
 * neither; `self` says whose secret certificate it is in the error line (`'worker'`, `'client'`).
 */
export function loadClientCurveKeys(
  flags: { readonly curveSecretKey?: string; readonly masterKey?: string },
  self: string,
): Promise<{ curveSecretKey?: string; masterKey?: string } | FlagError> {
  const { curveSecretKey, masterKey } = flags;
  if (curveSecretKey === undefined && masterKey === undefined) return Promise.resolve({});
  if (curveSecretKey === undefined)
    return Promise.resolve({
      error: `--master-key needs --curve-secret-key (this ${self}'s own secret certificate)`,
    });
  if (masterKey === undefined)
    return Promise.resolve({
      error: "--curve-secret-key needs --master-key (the master's public certificate)",
    });
  return orFlagError(async () => ({
    curveSecretKey: (await readSecretCertificate(curveSecretKey)).secretKey,
    masterKey: (await readCertificate(masterKey)).publicKey,
  }));
}
