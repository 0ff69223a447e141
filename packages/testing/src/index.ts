/**
 * @monomyth/testing: what tests of Monomyth systems and stream adapters share. Nothing here needs a test runner: the
 * harness and the RabbitMQ launcher work under any runner, or none. The StreamAdapter conformance suite, which registers
 * vitest tests, is the subpath `@monomyth/testing/conformance` (src/conformance/index.ts), with vitest an optional peer.
 */
/** A real RabbitMQ for tests: a server or cluster on free ports, one broker per test run, why one did not start. */
export { RabbitMqServer, findRabbitMqServer } from './rabbitmq-server.js';
export type { RabbitMqServerOptions } from './rabbitmq-server.js';
export { RabbitMqCluster, DEFAULT_CLUSTER_SIZE } from './rabbitmq-cluster.js';
export type { RabbitMqClusterOptions } from './rabbitmq-cluster.js';
export { acquireTestBroker } from './test-broker.js';
export type { TestBrokerLease } from './test-broker.js';
export { freePort } from './free-port.js';
export { RabbitMqNotInstalledError, RabbitMqStartError } from './errors.js';
/** A system run in one process on the in-memory adapter: push messages in, collect outputs and failures. */
export { startSystem, CollectTimeoutError } from './system-harness.js';
export type {
  CollectOptions,
  CollectedFailure,
  PushOptions,
  RecipeChanges,
  SystemHarness,
  SystemHarnessOptions,
} from './system-harness.js';
/** Waiting for a state a system reaches by itself, reading it again until it holds. */
export { eventually } from './eventually.js';
export type { EventuallyOptions } from './eventually.js';
/** The error a promise rejects with, checked to be of the expected class. */
export { rejectionOf } from './rejection-of.js';
