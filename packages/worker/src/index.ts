/**
 * @monomyth/worker: runs the nodes of a system for a Monomyth master. Registers over MMOP/1, builds nodes from the
 * recipes the master sends, supervises them (restart with backoff, then report), heartbeats, and drains on request.
 */
/** The worker, its states, and the two errors its run() rejects with (refused by the master, link failed). */
export { Worker } from './worker.js';
export { WorkerLinkError, WorkerRefusedError } from './errors.js';
// Defined in @monomyth/mmop (the worker's categories and the master's); still exported here for existing imports.
export { StartFailureCategory } from '@monomyth/mmop';
export type { WorkerState } from './worker.js';
/** Options: what a worker takes, their defaults, and the one validating compile step. */
export {
  compileWorkerOptions,
  DEFAULT_WORKER_CAPACITY,
  DEFAULT_REGISTER_RETRY_MS,
  DEFAULT_STALL_WARNING_MS,
  DEFAULT_RESTART_POLICY,
} from './options.js';
export type { WorkerOptions, CompiledWorkerOptions, RestartPolicy } from './options.js';
/** How long a node may drain on close() or SHUTDOWN when neither the options nor the master say (MMOP's default). */
export { DEFAULT_DRAIN_TIMEOUT_MS } from '@monomyth/mmop';
/** What `compileWorkerOptions` and `new Worker` throw for a bad option (component `'worker'`). */
export { InvalidOptionError } from '@monomyth/mmop';
/** Operator endpoints (`/live`, `/ready`, `/metrics`) and the worker's Prometheus metrics: see docs/observability.md. */
export { WorkerMetrics, METRIC_PREFIX, BATCH_DURATION_BUCKETS } from './http/worker-metrics.js';
export type { WorkerMetricsOptions } from './http/worker-metrics.js';
export { workerReadiness } from './http/readiness.js';
export type { ReadinessProbe, WorkerReadinessSources } from './http/readiness.js';
export { startWorkerHttp } from './http/worker-http.js';
export type { HttpAddress, WorkerHttpOptions, WorkerHttpServer } from './http/worker-http.js';
