/**
 * @monomyth/node/memory: the in-memory stream adapter, for tests, examples and single-process runs. Queues live in a
 * `MemoryBroker`; adapters that share a broker see the same queues, as processes sharing a RabbitMQ would. Nothing
 * survives the process.
 */
export { MemoryStreamAdapter } from './memory-adapter.js';
export type { MemoryStreamAdapterOptions } from './memory-adapter.js';
export { MemoryBroker, DEFAULT_MAX_QUEUE_LENGTH } from './memory-broker.js';
export type { MemoryBrokerOptions } from './memory-broker.js';
