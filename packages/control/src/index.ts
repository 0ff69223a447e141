/**
 * @monomyth/control: a typed client for the Monomyth master over MMOP/1. Used by the `monomyth` CLI and by users' code.
 */
/** The client, its options and states, and what its requests take and answer. */
export { ControlClient } from './control-client.js';
export type { ControlClientState } from './control-client.js';
export {
  DEFAULT_CONTROL_TIMEOUT_MS,
  DEFAULT_CONTROL_START_TIMEOUT_MS,
  DEFAULT_FAIL_QUEUE_TIMEOUT_MS,
  DEFAULT_REDRIVE_TIMEOUT_MS,
} from './control-calls.js';
export type {
  ControlClientOptions,
  WorkersQuery,
  RecipesQuery,
  StartNodeOptions,
  StopOptions,
  StartNodeResult,
  StopNodeResult,
  AutoscalePolicyInput,
  AutoscaleResult,
  RateLimitInput,
  RateLimitResult,
  FailQueueOptions,
  FailQueueResult,
  RedriveOptions,
} from './control-calls.js';
/** Errors: the master did not answer, refused a request, or the client is closed or failed. */
export {
  MasterUnreachableError,
  ControlRequestError,
  ControlClientClosedError,
  ControlClientFailedError,
} from './errors.js';
/**
 * What `new ControlClient()` throws for options that do not fit together (CURVE needs both keys) or a key that is not
 * Z85 (component `'control'`, `option` names the option).
 */
export { InvalidOptionError } from '@monomyth/mmop';
