/**
 * Limits on what one worker may ask the master to hold, checked before the master takes anything in: how many workers
 * register, node types per worker, nodes per worker, a recipe's size and a name's length. Each is a number in
 * MasterOptions.limits with a default that serves 10,000 workers; the codec's bounds (frame size, string and array
 * lengths) still apply first. A peer over a limit gets ERROR (it can be addressed: its routing id is known) and nothing
 * it sent is kept; the master logs it at a bounded rate (ten lines a minute, then a count of those left out).
 */
import { Status } from '@monomyth/mmop';
import type { MessageOf } from '@monomyth/mmop';
import type { Logger } from './logger.js';
import { RateLimiter } from './rate-limited.js';

export interface PeerLimits {
  /** Workers registered at once; a READY under a new name beyond it is refused (503 TOO_MANY_WORKERS). */
  maxWorkers: number;
  /** Node types one worker may offer in READY (400 TOO_MANY_TYPES). */
  maxTypesPerWorker: number;
  /**
   * Nodes one worker may run: a READY or HEARTBEAT listing more is refused (400 TOO_MANY_NODES), and a larger
   * `capacity` is taken as this many, so the master never places more there.
   */
  maxNodesPerWorker: number;
  /** The largest recipe a READY may carry, in bytes of its JSON text (400 RECIPE_TOO_LARGE). */
  maxRecipeBytes: number;
  /** The longest worker id, node type or node name a READY or HEARTBEAT may carry (400 NAME_TOO_LONG); at most 256. */
  maxNameLength: number;
}

/**
 * Defaults sized for 10,000 workers with room to spare: twice as many workers, a worker system of 1,000 node types
 * (the largest legitimate READY that DEFAULT_MAX_FRAME_BYTES was sized for), 1,000 nodes per worker.
 */
export const DEFAULT_PEER_LIMITS: Readonly<PeerLimits> = Object.freeze({
  maxWorkers: 20_000,
  maxTypesPerWorker: 1_000,
  maxNodesPerWorker: 1_000,
  maxRecipeBytes: 64 * 1024,
  maxNameLength: 256,
});

/** The `code` of the ERROR a peer over a limit gets. */
export const LimitCode = {
  TooManyWorkers: 'TOO_MANY_WORKERS',
  TooManyTypes: 'TOO_MANY_TYPES',
  TooManyNodes: 'TOO_MANY_NODES',
  RecipeTooLarge: 'RECIPE_TOO_LARGE',
  NameTooLong: 'NAME_TOO_LONG',
} as const;

export interface LimitBreach {
  readonly status: number;
  readonly code: (typeof LimitCode)[keyof typeof LimitCode];
  readonly reason: string;
}

function tooLong(what: string, name: string, max: number): LimitBreach {
  return {
    status: Status.BadRequest,
    code: LimitCode.NameTooLong,
    reason: `${what} ${name.slice(0, 64)}... is ${name.length} characters long, over the master's limit of ${max}`,
  };
}

/** Whether a READY fits the limits; `isNew` says whether its name is not registered yet (counted against maxWorkers). */
export function readyBreach(
  ready: MessageOf<'READY'>,
  limits: Readonly<PeerLimits>,
  workerCount: number,
  isNew: boolean,
): LimitBreach | undefined {
  if (isNew && workerCount >= limits.maxWorkers)
    return {
      status: Status.Unavailable,
      code: LimitCode.TooManyWorkers,
      reason: `the master holds its limit of ${limits.maxWorkers} workers`,
    };
  if (ready.workerId.length > limits.maxNameLength)
    return tooLong('worker id', ready.workerId, limits.maxNameLength);
  if (ready.recipes.length > limits.maxTypesPerWorker)
    return {
      status: Status.BadRequest,
      code: LimitCode.TooManyTypes,
      reason: `${ready.recipes.length} node types offered, over the master's limit of ${limits.maxTypesPerWorker} per worker`,
    };
  const nodes = nodesBreach(ready.nodes, limits);
  if (nodes) return nodes;
  for (const recipe of ready.recipes) {
    if (recipe.type.length > limits.maxNameLength)
      return tooLong('node type', recipe.type, limits.maxNameLength);
    const bytes = Buffer.byteLength(JSON.stringify(recipe));
    if (bytes > limits.maxRecipeBytes)
      return {
        status: Status.BadRequest,
        code: LimitCode.RecipeTooLarge,
        reason: `the recipe of ${recipe.type} is ${bytes} bytes, over the master's limit of ${limits.maxRecipeBytes}`,
      };
  }
  for (const node of ready.nodes) {
    const bytes = Buffer.byteLength(JSON.stringify(node.recipe));
    if (bytes > limits.maxRecipeBytes)
      return {
        status: Status.BadRequest,
        code: LimitCode.RecipeTooLarge,
        reason: `the recipe of node ${node.name} is ${bytes} bytes, over the master's limit of ${limits.maxRecipeBytes}`,
      };
  }
  return undefined;
}

/** Whether a list of nodes (a READY's or a HEARTBEAT's) fits the limits: how many, and their names and types. */
export function nodesBreach(
  nodes: readonly { readonly name: string; readonly type: string }[],
  limits: Readonly<PeerLimits>,
): LimitBreach | undefined {
  if (nodes.length > limits.maxNodesPerWorker)
    return {
      status: Status.BadRequest,
      code: LimitCode.TooManyNodes,
      reason: `${nodes.length} nodes listed, over the master's limit of ${limits.maxNodesPerWorker} per worker`,
    };
  for (const node of nodes) {
    if (node.name.length > limits.maxNameLength)
      return tooLong('node name', node.name, limits.maxNameLength);
    if (node.type.length > limits.maxNameLength)
      return tooLong('node type', node.type, limits.maxNameLength);
  }
  return undefined;
}

/** Logs limit breaches, at most ten lines a minute, then how many were left out. */
export class BreachLog {
  readonly #log: Logger;
  readonly #limiter = new RateLimiter(10, 60_000);

  constructor(log: Logger) {
    this.#log = log;
  }

  note(breach: LimitBreach, fields: Record<string, unknown>): void {
    const { allowed, suppressed } = this.#limiter.take(Date.now());
    if (suppressed > 0)
      this.#log.warn({ suppressed }, 'more messages over the limits were refused');
    if (allowed) this.#log.warn({ ...fields, code: breach.code }, `refused: ${breach.reason}`);
  }
}
