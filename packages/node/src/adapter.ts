/**
 * @monomyth/node/adapter: the kit for writing a stream adapter (a backend nodes pull from and publish to). Users of a
 * system need none of it; `@monomyth/node` is theirs. Prove an adapter with `runStreamAdapterConformance` from
 * `@monomyth/testing/conformance`. See docs/writing-a-stream-adapter.md.
 */

/** The contract: what an adapter provides to nodes and what it must never do (stream-adapter.ts says it in full). */
export type {
  AdapterCloseOptions,
  ConsumeOptions,
  Delivery,
  HeaderValue,
  MessageHeaders,
  NextBatchOptions,
  OutgoingMessage,
  StreamAdapter,
  StreamConsumer,
} from './stream-adapter.js';

/** Optional capabilities: small extra interfaces an adapter (or its consumers) may add, and their guards. */
export {
  isConnectionStateCapable,
  isDeadLetterCapable,
  isDelayedRetryCapable,
  isOrderedPublishCapable,
  isQueueStatsCapable,
} from './stream-adapter.js';
export type {
  ConnectionStateCapable,
  DeadLetterCapable,
  DelayedRetry,
  DelayedRetryCapable,
  OrderedPublishCapable,
  PublishLane,
  QueueStats,
  QueueStatsCapable,
} from './stream-adapter.js';

/** Optional capability for the operator's fail-queue tooling: count, peek at, move and purge queued messages. */
export {
  checkMoveLimit,
  checkPeekMax,
  isFailedMessagesCapable,
  redriveHeaders,
  redrivesOf,
} from './failed-messages.js';
export type {
  FailedMessagesCapable,
  MoveMessagesOptions,
  PeekedMessage,
} from './failed-messages.js';

/** The errors the contract rejects with, each with a stable code from `StreamErrorCode`. */
export {
  AdapterClosedError,
  ConsumerBusyError,
  ConsumerClosedError,
  MessagesRejectedError,
  StreamErrorCode,
  UnknownDeliveryError,
  UnknownQueueError,
} from './stream-errors.js';
export type { RejectedMessage } from './stream-errors.js';

/**
 * For an adapter's own errors: the base every Monomyth error extends, the brand that keeps `instanceof` working
 * across copies of a package, and the message of anything thrown (all from @monomyth/mmop).
 */
export { MonomythError, brandError, describeError } from '@monomyth/mmop';

/**
 * Monomyth's own message headers (`x-monomyth-*`, a table and the union of its names): the attempt count an adapter
 * carries and reads back.
 */
export { MonomythHeader, NO_HEADERS, attemptOf } from './headers.js';

/** Building blocks adapters share: a pull waiting for its batch, and a drain that waits for work in flight. */
export { BatchWaiter } from './batch-waiter.js';
export { DrainGate } from './drain-gate.js';
