/**
 * @monomyth/master: the master of a Monomyth cluster. Registers workers over MMOP/1, places nodes on them, declares
 * silent workers lost and places their nodes elsewhere, and answers control requests.
 */
/** The master, its states, and the error of a bind that failed. */
export { Master } from './master.js';
export { MasterBindError } from './master-socket.js';
/** What `Master.create` throws for a state file (`stateFile`) it cannot read or use. */
export { DesiredStateError } from './desired-state.js';
export type { MasterState } from './master.js';
/** A queue's backlog as the workers' heartbeats report it (`Master.queueBacklog()`). */
export type { QueueBacklog } from './queue-backlog.js';
/** The operator HTTP endpoints (`http` option, `--http`): metrics, probes, the cluster JSON and the dashboard. */
export type { HttpAddress, MasterHttpOption } from './http/http-address.js';
export { METRIC_PREFIX } from './http/master-metrics.js';
export type { ClusterSnapshot, StageSnapshot, QueueEdge } from './http/cluster-snapshot.js';
/** Options: what a master takes, their defaults, and the one validating compile step. */
export {
  compileMasterOptions,
  DEFAULT_MASTER_ENDPOINT,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_MISSES,
  DEFAULT_STALL_LIMIT_MS,
  MIN_DEFAULT_RECOVERY_WINDOW_MS,
  DEFAULT_MASTER_START_TIMEOUT_MS,
  DEFAULT_STOP_GRACE_MS,
  DEFAULT_AVOID_AFTER_FAILURE_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_RECEIVE_HIGH_WATER_MARK,
} from './options.js';
export type { MasterOptions, CompiledMasterOptions } from './options.js';
/** What one worker may make the master hold, their defaults, and the codes of the ERRORs past them. */
export { DEFAULT_PEER_LIMITS, LimitCode } from './peer-limits.js';
export type { PeerLimits } from './peer-limits.js';
/** How long a stopped node may drain when neither the options nor the request say (MMOP's default). */
export { DEFAULT_DRAIN_TIMEOUT_MS } from '@monomyth/mmop';
/** What `compileMasterOptions` and `Master.create` throw for a bad option (component `'master'`). */
export { InvalidOptionError } from '@monomyth/mmop';
/** The logger the master writes to (pino's shape, from @monomyth/mmop). */
export type { Logger } from './logger.js';
