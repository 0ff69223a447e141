/** A node's status as HEARTBEAT and WORKER-INFO carry it, before the node has anything to count. */
import type { NodeStatus } from './messages.js';

/**
 * The status of a node that has run no batch yet: every count zero. The master shows it for a node no heartbeat has
 * described yet; a simulated worker reports it.
 */
export function freshNodeStatus(name: string, type: string, state: string): NodeStatus {
  return {
    name,
    type,
    state,
    processed: 0,
    failed: 0,
    retried: 0,
    inFlight: 0,
    batches: 0,
    restarts: 0,
  };
}
