/**
 * What the worker's main thread and its link thread say to each other, and the shared memory they both read.
 *
 *   main thread (nodes, user code)              link thread (DEALER to the master)
 *   ------------------------------              ----------------------------------
 *   ticks SHARED[TICK] every TICK_MS     -->    lag = now - SHARED[TICK]  (read even while main is blocked)
 *   marks SHARED[SLOT0 + i] per batch    -->    which nodes had a batch in flight when the loop stopped answering
 *   'nodes' / 'status' / 'send' / ...    -->    READY, HEARTBEAT (with the latest status and the lag), sends
 *                                        <--    'message' (START-NODE, STOP-NODE, SHUTDOWN), 'state', 'sent', 'log',
 *                                               'stall' (once the loop answers again), 'refused', 'failed'
 *
 * Messages between threads are structured-cloned plain objects; the shared memory is a BigInt64Array of epoch
 * milliseconds (0 = none), written and read with Atomics so neither side ever sees a torn value.
 */
import type { CurveClientKeys, MmopMessage, NodeStatus, QueueCounts, Recipe } from '@monomyth/mmop';

/** How often the main thread proves it is alive. The lag the link thread reports is accurate to about this. */
export const TICK_MS = 100;
/** Index of the main thread's last tick in the shared array. */
export const TICK = 0;
/** Index of the first node slot: slot i holds when node i's batch in flight began, or 0. */
export const SLOT0 = 1;
/** Nodes beyond this many on one worker still run; only the attribution of a stall to them is lost. */
export const MAX_SLOTS = 1024;

export interface RunningNode {
  readonly name: string;
  readonly type: string;
  readonly recipe: Recipe;
}

/** What the link thread needs to register: fixed for the worker's life. */
export interface LinkConfig {
  readonly workerId: string;
  readonly master: string;
  /** CURVE keys (the worker's pair, the master's public key), or undefined for plain MMOP. */
  readonly curve: CurveClientKeys | undefined;
  readonly host: string;
  readonly pid: number;
  readonly capacity: number;
  readonly recipes: readonly Recipe[];
  readonly registerRetryMs: number;
  readonly stallWarningMs: number;
  /** Where the link thread writes a warning line while the main thread (which owns the logger) is blocked. */
  readonly stallLogFd: number | undefined;
  readonly shared: SharedArrayBuffer;
}

export type ToLink =
  /** The node set changed: what READY lists, and which slot is whose. */
  | {
      readonly type: 'nodes';
      readonly running: readonly RunningNode[];
      readonly slots: readonly (readonly [string, number])[];
    }
  /** The nodes' latest statuses, for the next heartbeats. */
  | { readonly type: 'status'; readonly nodes: readonly NodeStatus[] }
  /** The latest counts of the nodes' source queues, for the next heartbeats (once per heartbeat interval). */
  | { readonly type: 'queues'; readonly queues: readonly QueueCounts[] }
  | { readonly type: 'send'; readonly id: number; readonly message: MmopMessage }
  /** The worker is leaving: no registering again, heartbeats go on until 'close'. */
  | { readonly type: 'leaving' }
  | { readonly type: 'close' };

export type LinkState = 'registering' | 'registered';

export interface StalledNode {
  readonly name: string;
  /** How long its batch had been in flight when last seen. */
  readonly batchMs: number;
}

export type FromLink =
  | { readonly type: 'message'; readonly message: MmopMessage }
  | {
      readonly type: 'state';
      readonly state: LinkState;
      readonly masterEpoch: string;
      readonly heartbeatIntervalMs: number;
    }
  | { readonly type: 'sent'; readonly id: number; readonly error?: string }
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly fields: Record<string, unknown>;
      readonly msg: string;
    }
  /**
   * The link cannot go on: its socket failed or closed underneath it, or could not be opened (a bad endpoint). The
   * thread stops registering and heartbeating; the worker must stop.
   */
  | { readonly type: 'failed'; readonly reason: string }
  /** The master refused this worker for good (its name is taken): the worker must stop. */
  | { readonly type: 'refused'; readonly code: string; readonly reason: string }
  /** The main thread answered again after being blocked past the warning threshold. */
  | { readonly type: 'stall'; readonly blockedMs: number; readonly nodes: readonly StalledNode[] }
  | { readonly type: 'closed' };
