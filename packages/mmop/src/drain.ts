/**
 * How long a node may take to drain (finish and settle the batch in flight) when nobody says: the default of the
 * master's `drainTimeoutMs` (used for a stop request that gives none; the protocol itself fixes no default), of the
 * worker's on close() and SHUTDOWN, of a node's `drain()`, and what the control client waits on for a stop. One
 * figure for all, here in the layer they all share.
 */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
