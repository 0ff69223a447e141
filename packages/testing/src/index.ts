/**
 * @monomyth/testing: what tests of Monomyth systems and stream adapters share.
 */
export { RabbitMqServer, findRabbitMqServer } from './rabbitmq-server.js';
export type { RabbitMqServerOptions } from './rabbitmq-server.js';
export { RabbitMqCluster, DEFAULT_CLUSTER_SIZE } from './rabbitmq-cluster.js';
export type { RabbitMqClusterOptions } from './rabbitmq-cluster.js';
export { acquireTestBroker } from './test-broker.js';
export type { TestBrokerLease } from './test-broker.js';
export { freePort } from './free-port.js';
export { RabbitMqNotInstalledError, RabbitMqStartError } from './errors.js';
export { runStreamAdapterConformance } from './conformance/index.js';
export type { ConformanceOptions, StreamAdapterFactory } from './conformance/index.js';
export { startSystem, CollectTimeoutError } from './system-harness.js';
export type {
  CollectOptions,
  CollectedFailure,
  PushOptions,
  RecipeChanges,
  SystemHarness,
  SystemHarnessOptions,
} from './system-harness.js';
export { eventually } from './eventually.js';
export type { EventuallyOptions } from './eventually.js';
