/**
 * @monomyth/node: the data plane. Node definitions and defineSystem (what users write), recipes (what the master
 * sends), the node runtime (pull -> transform -> place, per-message failure and retry), the StreamAdapter contract
 * every backend implements, and the in-memory adapter.
 */
export { defineSystem, isSystem } from './system.js';
export type { System, SystemDefinition } from './system.js';
export { startQueueOf, chainQueueOf } from './system-chain.js';
export type { SystemQueues } from './system-chain.js';
export type { ChainChecked, OutputOf } from './chain-types.js';
export { InputValidationError, isStandardSchema } from './input-schema.js';
export type { InputIssue, StandardSchemaV1 } from './input-schema.js';
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
export {
  compileRecipe,
  failQueueOf,
  DEFAULT_BATCH_SIZE,
  DEFAULT_BATCH_TIMEOUT_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_REDELIVERIES,
  DEFAULT_RETRY,
  DEFAULT_BATCHES_IN_FLIGHT,
  defaultMaxUnacked,
  RECIPE_LIMITS,
} from './recipe.js';
export type { CompiledDestination, CompiledRetry, NodeRecipe, NodeSpec } from './recipe.js';
export { createNode } from './create-node.js';
export { Node, DEFAULT_DRAIN_TIMEOUT_MS } from './node.js';
export type { NodeRuntimeOptions } from './node.js';
export type { NodeState, NodeStats } from './node-stats.js';
export type { BatchInfo, BatchInterceptor, BatchOutcome } from './interceptors.js';
export { backoffDelayMs, MAX_ERROR_MESSAGE_LENGTH } from './failure-policy.js';
export { Headers, NO_HEADERS, attemptOf } from './headers.js';
export type { HeaderName } from './headers.js';
export {
  isDeadLetterCapable,
  isDelayedRetryCapable,
  isQueueStatsCapable,
} from './stream-adapter.js';
export type {
  CloseOptions,
  ConsumeOptions,
  DeadLetterCapable,
  DelayedRetry,
  DelayedRetryCapable,
  Delivery,
  HeaderValue,
  MessageHeaders,
  NextBatchOptions,
  OutgoingMessage,
  QueueStats,
  QueueStatsCapable,
  StreamAdapter,
  StreamConsumer,
} from './stream-adapter.js';
export { BatchWaiter } from './batch-waiter.js';
export { DrainGate } from './drain-gate.js';
export { MemoryStreamAdapter } from './memory/memory-adapter.js';
export type { MemoryStreamAdapterOptions } from './memory/memory-adapter.js';
export { MemoryBroker, DEFAULT_MAX_QUEUE_LENGTH } from './memory/memory-broker.js';
export type { MemoryBrokerOptions } from './memory/memory-broker.js';
export {
  jsonCodec,
  stringCodec,
  bytesCodec,
  msgpackCodec,
  codecByName,
  CODEC_NAMES,
} from './codecs.js';
export type { BodyCodec, CodecName } from './codecs.js';
export { LatencyHistogram } from './histogram.js';
export { noopLogger } from './logger.js';
export type { Logger, LogFn } from './logger.js';
export {
  AdapterClosedError,
  BodyCodecError,
  ConsumerBusyError,
  ConsumerClosedError,
  GeneratorFailedError,
  InvalidOptionError,
  InvalidRecipeError,
  MessageRefusedError,
  MessagesRejectedError,
  NodeHookError,
  NodeStateError,
  NonRetryableError,
  RedeliveryLimitError,
  StreamErrorCode,
  StreamFailureError,
  SystemDefinitionError,
  SystemErrorCode,
  UnknownDeliveryError,
  UnknownNodeTypeError,
  UnknownQueueError,
  UnknownRouteError,
  isNonRetryable,
  MonomythError,
  brandError,
  describeError,
} from './errors.js';
export type { RejectedMessage, Step } from './errors.js';
