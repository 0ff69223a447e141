/**
 * Why a node did not start: the `category` of START-NODE-FAILURE (a worker's answer to START-NODE) and of each entry
 * in START-NODE-REQUEST-SUCCESS's `failures` (the master's summary for a control client, which also names what went
 * wrong on its side). A receiver must accept a category it does not know and show it as it is.
 */
export const StartFailureCategory = {
  // From a worker, in START-NODE-FAILURE.
  /** The recipe names a node type the worker's system does not define. */
  UnknownType: 'unknown-type',
  /** The recipe does not fit the node type's definition. */
  InvalidRecipe: 'invalid-recipe',
  /** The worker runs as many nodes as its capacity allows. */
  Capacity: 'capacity',
  /** The worker is leaving. */
  Draining: 'draining',
  /** Building the node from the recipe failed (anything but the two above). */
  Build: 'build',
  /** The node was built, but starting it failed (its stream, its `onStart` hook). */
  Start: 'start',

  // From the master, in START-NODE-REQUEST-SUCCESS's `failures`.
  /** Fewer workers had room than nodes were asked for (`workerId` is `none`). */
  NoCapacity: 'no-capacity',
  /** The worker answered START-NODE with a kind that does not answer it. */
  Protocol: 'protocol',
  /** The worker did not answer START-NODE in time. */
  Timeout: 'timeout',
  /** The worker was lost while the node was starting. */
  WorkerLost: 'worker-lost',
  /** START-NODE could not be sent (or no recipe is known for the type). */
  SendFailed: 'send-failed',
  /** The master closed while the node was starting. */
  Closed: 'closed',
} as const;

export type StartFailureCategory = (typeof StartFailureCategory)[keyof typeof StartFailureCategory];
