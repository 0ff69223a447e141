/**
 * @monomyth/node: the data plane, as users of Monomyth see it. The system DSL (defineSystem, defineNode and their
 * types), body codecs, recipes (what the master sends a worker), the node runtime a worker or an app runs, and the
 * errors a transform throws or a caller catches.
 *
 * Two more entry points, each for its own reader:
 * - `@monomyth/node/adapter`: the kit for writing a stream adapter (the StreamAdapter contract, its capabilities and
 *   errors, Monomyth's headers, BatchWaiter, DrainGate).
 * - `@monomyth/node/memory`: the in-memory adapter (MemoryStreamAdapter, MemoryBroker).
 */

/** Systems: the nodes of an application and the queues that link them. */
export { defineSystem, isSystem } from './system.js';
export type { System, SystemDefinition } from './system.js';
export type { SystemQueues } from './system-chain.js';
export type { DefineSystem, OutputOf } from './chain-types.js';

/** Nodes: what a node pulls, how it transforms, where it places; its input schema and hooks. */
export { defineNode } from './definition.js';
export type {
  AnyNodeDefinition,
  Destination,
  Generate,
  GeneratorNodeDefinition,
  Hook,
  NodeContext,
  NodeDefinition,
  NodeInfo,
  RetryOptions,
  Route,
  Transform,
  TransformContext,
  TransformNodeDefinition,
  TransformResult,
} from './definition.js';
export type { InputIssue, StandardSchemaV1 } from './input-schema.js';

/** Body codecs: bytes on the stream to values in a transform, and back. */
export { jsonCodec, stringCodec, bytesCodec, msgpackCodec } from './codecs.js';
export type { BodyCodec, CodecName } from './codecs.js';

/** Recipes: one node instance as the master sends it, compiled with the defaults below. */
export {
  compileRecipe,
  failQueueOf,
  DEFAULT_BATCH_SIZE,
  DEFAULT_BATCH_TIMEOUT_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_REDELIVERIES,
  DEFAULT_RETRY,
  DEFAULT_BATCHES_IN_FLIGHT,
  MIN_DEFAULT_MESSAGES_IN_FLIGHT,
  defaultBatchesInFlight,
  defaultMaxUnacked,
  RECIPE_LIMITS,
} from './recipe.js';
export type { CompiledDestination, CompiledRetry, NodeRecipe, NodeSpec } from './recipe.js';

/** The headers a failed message carries to its fail queue (`x-monomyth-error-message`, ...), by name. */
export { MonomythHeader } from './headers.js';

/**
 * The runtime: a node built from a system and a recipe, run on a stream adapter (the one type of the adapter kit a
 * caller needs: what it passes in), with interceptors around each batch.
 */
export { createNode } from './create-node.js';
export { Node } from './node.js';
/** How long `node.drain()` waits for the batch in flight when not told (MMOP's default drain timeout). */
export { DEFAULT_DRAIN_TIMEOUT_MS } from '@monomyth/mmop';
export type { NodeRuntimeOptions } from './node.js';
export type { NodeState, NodeStats } from './node-stats.js';
export type { BatchInfo, BatchInterceptor, BatchOutcome } from './interceptors.js';
/** The token bucket a node keeps to its share of a cluster-wide rate limit with, and the interceptor that applies it. */
export { TokenBucket, RateLimitInterceptor, defaultBurst } from './token-bucket.js';
export type { StreamAdapter } from './stream-adapter.js';

/** The logger nodes write to (pino's shape, from @monomyth/mmop), and the one that writes nothing. */
export { noopLogger } from './logger.js';
export type { Logger, LogFn } from './logger.js';

/**
 * Errors. Thrown by a transform: `NonRetryableError` (retrying cannot help). Met as the cause of a failed message:
 * the codec, route, refusal, redelivery-limit and input-validation errors. Thrown or rejected to a caller: the rest.
 * All extend `MonomythError` and answer `instanceof` across copies of the package.
 */
export {
  BodyCodecError,
  GeneratorFailedError,
  InvalidOptionError,
  InvalidRecipeError,
  MessageRefusedError,
  MonomythError,
  NodeHookError,
  NodeStateError,
  NonRetryableError,
  RedeliveryLimitError,
  StreamFailureError,
  SystemDefinitionError,
  SystemErrorCode,
  UnknownNodeTypeError,
  UnknownRouteError,
  isNonRetryable,
} from './errors.js';
export type { NodeStep } from './errors.js';
export { InputValidationError } from './input-schema.js';
