/**
 * A node's counters, as heartbeats carry them. Plain integer fields bumped once per batch (not per message), and a
 * fixed-bucket histogram for batch latency.
 */
import { LatencyHistogram } from './histogram.js';

/** Lifecycle states of a node:
 * - `created`: built, not started;
 * - `starting`: running its start hook, declaring queues, opening its consumer;
 * - `running`: pulling, transforming, placing;
 * - `draining`: told to stop; finishing the batch in flight, pulling nothing more;
 * - `stopped`: stopped on purpose (or its generator ended); `run()` resolved;
 * - `failed`: stopped by a fatal error (the stream failed, or its start hook threw); `run()` rejected.
 */
export type NodeState = 'created' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/** The moves a node's state may make (the node's Lifecycle enforces them). */
export const NODE_TRANSITIONS = {
  created: ['starting', 'stopped'],
  starting: ['running', 'draining', 'failed'],
  running: ['draining', 'stopped', 'failed'],
  draining: ['stopped', 'failed'],
  stopped: [],
  failed: [],
} as const satisfies Record<NodeState, readonly NodeState[]>;

/** A snapshot of a node's counters: the fields of MMOP's NodeStatus that a node knows. */
export interface NodeStats {
  readonly name: string;
  readonly type: string;
  readonly state: NodeState;
  /** Source messages done with: transformed, their outputs durable, acknowledged. For a generator: values published. */
  readonly processed: number;
  /** Messages sent to the fail queue. */
  readonly failed: number;
  /** Failed attempts scheduled for another. */
  readonly retried: number;
  /** Messages held unacknowledged now: the batch in flight and retries the node holds. */
  readonly inFlight: number;
  readonly batches: number;
  /** Output messages published. */
  readonly published: number;
  /** Batch latency, from the batch's arrival to its acknowledgement; 0 before the first batch. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

export class NodeCounters {
  processed = 0;
  failed = 0;
  retried = 0;
  batches = 0;
  published = 0;
  readonly latency = new LatencyHistogram();
}
