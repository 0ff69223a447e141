/**
 * @monomyth/cli-kit: what the Monomyth commands (`monomyth`, `monomyth-master`, `monomyth-worker`) share, so each
 * is written once: the logger, flag values checked by the mmop options kit, the master's endpoint and CURVE key
 * flags, the `--http` address, exit codes, usage errors and fatal errors, `--version`, and two-stage SIGINT handling. It exists for those commands; its API follows
 * their needs.
 */
export { durationArgument, endpointArgument, wholeNumberArgument } from './arguments.js';
export {
  curveSecretKeyOption,
  loadClientCurveKeys,
  loadSecretKey,
  masterEndpointOption,
  masterKeyOption,
} from './mmop-flags.js';
export type { FlagError } from './mmop-flags.js';
export { DEFAULT_LOG_LEVEL, LOG_LEVELS, createAppLogger, logLevelOption } from './logging.js';
export type { LogLevel } from './logging.js';
export { exitFatal, reportFatal } from './fatal.js';
export type { FatalLogger } from './fatal.js';
export { packageVersion } from './version.js';
export { DEFAULT_HTTP_HOST, parseHttpAddress } from './http-address.js';
export type { HttpAddress } from './http-address.js';
export { handleShutdownSignals } from './signals.js';
export type { ShutdownSignalsOptions, SignalLogger } from './signals.js';
export {
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_USAGE,
  exitOnParseError,
  exitWithUsage,
} from './usage.js';
