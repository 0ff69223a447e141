/**
 * @monomyth/rmq: the RabbitMQ stream adapter. Durable queues, persistent messages, publisher confirms, a channel and
 * a bounded prefetch per node, batched acks, delayed retries on the broker, and reconnection that nodes only see as
 * a pause. See docs/rabbitmq.md.
 */
/** The adapter. Its deliveries are the contract's `Delivery` (their delivery tag is the adapter's business). */
export { RabbitMqStreamAdapter } from './adapter.js';
/** Options: what the adapter takes, their defaults, and the one validating compile step. */
export {
  compileRabbitMqOptions,
  redactUrl,
  QUEUE_TYPES,
  DEFAULT_CONNECTION_NAME,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_RECONNECT,
  DEFAULT_QUEUE_TYPE,
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_NACK_RETRY_MS,
} from './options.js';
export type {
  CompiledRabbitMqOptions,
  QueueArgumentValue,
  QueueType,
  PemInput,
  RabbitMqAdapterOptions,
  RabbitMqTlsOptions,
  ReconnectOptions,
} from './options.js';
/** What `compileRabbitMqOptions` and the adapter's constructor throw for a bad option (component `'rmq'`). */
export { InvalidOptionError } from '@monomyth/mmop';
/** Errors of a connection, of a channel, and of a publish the broker nacked. */
export {
  RabbitMqChannelError,
  RabbitMqConnectionError,
  RabbitMqPublishNackedError,
} from './errors.js';
export type { ConnectionFailure } from './errors.js';
/**
 * The broker-side topology (retry queues, the dead-letter exchange, queue arguments), for other clients that declare
 * or read the same queues.
 */
export { retryBucketMs, retryQueueName } from './retry-topology.js';
export {
  DEAD_LETTER_EXCHANGE,
  UNROUTED_DEAD_LETTERS,
  queueArgumentsFor,
} from './queue-arguments.js';
