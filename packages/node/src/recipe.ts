/**
 * Recipes: the plain JSON-able description of one node type's instances, which the master sends in START-NODE and a
 * worker turns back into a running node with the system's definition (`createNode`). A recipe carries every option
 * (defaults filled in) and the queues; the code (transform, route, hooks, a custom codec) stays in the system module.
 *
 * `compileRecipe` is the one validating step between options and a runnable node: `defineSystem` runs every
 * definition's recipe through it, and so does a worker with the recipe it was sent, so the two cannot disagree.
 */
import { OptionChecker, autoscalePolicyProblem, rateLimitProblem } from '@monomyth/mmop';
import type { AutoscalePolicy, RateLimit, Recipe } from '@monomyth/mmop';
import { codecByName, CODEC_NAMES } from './codecs.js';
import type { BodyCodec } from './codecs.js';
import type { AnyNodeDefinition } from './definition.js';
import { InvalidRecipeError } from './errors.js';
import { isPlainObject, jsonProblem } from './json-values.js';

// create-node.ts checks what it is sent with it too, and imports it from here.
export { isPlainObject } from './json-values.js';

/** Most messages per batch. */
export const DEFAULT_BATCH_SIZE = 10;
/** How long a started batch waits to fill. */
export const DEFAULT_BATCH_TIMEOUT_MS = 100;
/** Transforms at once within a batch. */
export const DEFAULT_CONCURRENCY = 1;
/**
 * The fewest batches a node reading a queue keeps in flight unless its definition says: while one waits for its
 * publisher confirms, the next ones are pulled, transformed and published. At small batches it keeps more (see
 * `defaultBatchesInFlight`).
 */
export const DEFAULT_BATCHES_IN_FLIGHT = 4;
/**
 * Messages a node keeps in flight at least, by default: a window smaller than that leaves a broker's confirm round
 * trip unhidden. Measured on RabbitMQ (docs/rabbitmq.md): at batch 10, 13 batches in flight (140 unacknowledged) move
 * about 1.2 to 1.8 times what 4 (50) move.
 */
export const MIN_DEFAULT_MESSAGES_IN_FLIGHT = 128;

/**
 * batchesInFlight unless set: `DEFAULT_BATCHES_IN_FLIGHT`, or enough batches for `MIN_DEFAULT_MESSAGES_IN_FLIGHT`
 * messages when batches are small: 13 at batch 10, 4 from batch 32 up, and at most `RECIPE_LIMITS.maxBatchesInFlight`
 * (64, at batches of 1 and 2).
 */
export function defaultBatchesInFlight(batchSize: number): number {
  const enough = Math.ceil(MIN_DEFAULT_MESSAGES_IN_FLIGHT / Math.max(1, batchSize));
  return Math.min(RECIPE_LIMITS.maxBatchesInFlight, Math.max(DEFAULT_BATCHES_IN_FLIGHT, enough));
}
/**
 * maxUnacked unless set: the batches in flight and one more arriving, so a node never waits on the broker for its
 * next batch.
 */
export function defaultMaxUnacked(batchSize: number, batchesInFlight: number): number {
  // Capped at what a recipe may say: big batches times many in flight would otherwise refuse the default itself.
  return Math.min(batchSize * (batchesInFlight + 1), RECIPE_LIMITS.maxUnacked);
}
/**
 * Times a message may come back (its consumer crashed or stalled, or it was requeued) before it is failed to the fail
 * queue instead of run again. RabbitMQ's quorum queues back it with a `x-delivery-limit` a little above.
 */
export const DEFAULT_MAX_REDELIVERIES = 10;
export const DEFAULT_RETRY: CompiledRetry = Object.freeze({
  maxAttempts: 3,
  initialDelayMs: 1000,
  maxDelayMs: 60_000,
  multiplier: 2,
  jitter: 0.2,
  maxRedeliveries: DEFAULT_MAX_REDELIVERIES,
});

/** Bounds a recipe is checked against. */
export const RECIPE_LIMITS = Object.freeze({
  maxBatchSize: 10_000,
  maxBatchTimeoutMs: 3_600_000,
  maxConcurrency: 10_000,
  maxBatchesInFlight: 64,
  maxUnacked: 100_000,
  maxAttempts: 1_000,
  maxRedeliveries: 1_000,
  maxDelayMs: 86_400_000,
  maxMultiplier: 100,
  /** Node types name queues and node names (`<TYPE>:<uuid>`, at most 256 characters in MMOP). */
  maxTypeLength: 200,
  /** AMQP's limit on queue names. */
  maxQueueLength: 255,
});

/** Node types: they name queues (`<TYPE>-fail`) and nodes (`<TYPE>:<uuid>`), so no `:` and no spaces. */
const TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface CompiledRetry {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  /** See `DEFAULT_MAX_REDELIVERIES`. */
  readonly maxRedeliveries: number;
}

/**
 * The recipe of a node type. A type alias, not an interface, so that it is assignable to MMOP's `Recipe`.
 * `dest` is a list of queues (fan-out), named destinations (with a route), or null (a sink).
 */
export type NodeRecipe = {
  readonly type: string;
  /** The queue it reads; null for a generator. */
  readonly source: string | null;
  readonly dest: readonly string[] | Readonly<Record<string, readonly string[]>> | null;
  readonly batchSize: number;
  readonly batchTimeoutMs: number;
  readonly concurrency: number;
  /** Absent in recipes from masters before it: `defaultBatchesInFlight(batchSize)`. */
  readonly batchesInFlight?: number;
  readonly maxUnacked: number;
  /** A built-in codec's name, or the name of the definition's own codec. */
  readonly codec: string;
  readonly retry: CompiledRetry;
  readonly options: Readonly<Record<string, unknown>>;
  /** For the master, not the node: how it sizes the type (docs/scaling.md). Absent: sized by hand. */
  readonly autoscale?: AutoscalePolicy;
  /**
   * The type's cluster-wide rate limit (docs/scaling.md). In a START-NODE, the master puts this node's share here
   * (and later sends NODE-RATE-LIMIT as the share changes). Absent: no limit.
   */
  readonly rateLimit?: RateLimit;
};

/** Where a node's outputs go, ready to use. */
export type CompiledDestination =
  | { readonly kind: 'sink' }
  | { readonly kind: 'fixed'; readonly queues: readonly string[] }
  | { readonly kind: 'routed'; readonly routes: ReadonlyMap<string, readonly string[]> };

/** Everything a node instance runs on: the recipe checked and resolved against its definition. */
export interface NodeSpec {
  readonly type: string;
  readonly source: string | null;
  readonly dest: CompiledDestination;
  /** `<TYPE>-fail`. */
  readonly failQueue: string;
  readonly batchSize: number;
  readonly batchTimeoutMs: number;
  readonly concurrency: number;
  /** Batches between pull and settlement at once (1: one batch at a time). */
  readonly batchesInFlight: number;
  readonly maxUnacked: number;
  readonly codec: BodyCodec;
  readonly retry: CompiledRetry;
  readonly options: Readonly<Record<string, unknown>>;
  readonly definition: AnyNodeDefinition;
  /** The recipe it was compiled from. */
  readonly recipe: NodeRecipe;
}

/** Every queue a node of `spec` uses (it declares them all before it starts): its fail queue, source and dests. */
export function queuesOf(spec: NodeSpec): Set<string> {
  const queues = new Set<string>([spec.failQueue]);
  if (spec.source !== null) queues.add(spec.source);
  if (spec.dest.kind === 'fixed') for (const queue of spec.dest.queues) queues.add(queue);
  if (spec.dest.kind === 'routed')
    for (const list of spec.dest.routes.values()) for (const queue of list) queues.add(queue);
  return queues;
}

/** The fail queue of a node type. */
export function failQueueOf(type: string): string {
  return `${type}-fail`;
}

/** Checks a node type's name; returns a reason when it is not usable. */
export function checkTypeName(type: unknown): string | undefined {
  if (typeof type !== 'string' || type.length === 0) return 'must be a non-empty string';
  if (type.length > RECIPE_LIMITS.maxTypeLength)
    return `must be at most ${RECIPE_LIMITS.maxTypeLength} characters`;
  if (!TYPE_PATTERN.test(type))
    return 'may hold only letters, digits, ".", "_" and "-", and start with a letter or digit';
  return undefined;
}

/** Checks a recipe against the definition of its type and resolves it into a `NodeSpec`. */
export function compileRecipe(
  recipe: Recipe | NodeRecipe,
  definition: AnyNodeDefinition,
): NodeSpec {
  const r = recipe as Record<string, unknown>;
  const type = r.type;
  const typeProblem = checkTypeName(type);
  if (typeProblem !== undefined) throw new InvalidRecipeError(undefined, 'type', typeProblem);
  const t = type as string;
  const check: OptionChecker = new OptionChecker(
    'recipe',
    (field, reason) => new InvalidRecipeError(t, field, reason),
  );
  const fail = (field: string, message: string): never => check.fail(field, message);
  if (t !== definition.name)
    fail(
      'type',
      `is ${JSON.stringify(t)} but the definition is ${JSON.stringify(definition.name)}`,
    );

  const batchSize = check.wholeNumber('batchSize', r.batchSize, {
    min: 1,
    max: RECIPE_LIMITS.maxBatchSize,
  });
  const batchTimeoutMs = check.duration('batchTimeoutMs', r.batchTimeoutMs, {
    max: RECIPE_LIMITS.maxBatchTimeoutMs,
  });
  const concurrency = check.wholeNumber('concurrency', r.concurrency, {
    min: 1,
    max: RECIPE_LIMITS.maxConcurrency,
  });
  // Absent in recipes from masters before it: the default then.
  const batchesInFlight = check.wholeNumber(
    'batchesInFlight',
    r.batchesInFlight ?? defaultBatchesInFlight(batchSize),
    { min: 1, max: RECIPE_LIMITS.maxBatchesInFlight },
  );
  const maxUnacked = check.wholeNumber('maxUnacked', r.maxUnacked, {
    min: 1,
    max: RECIPE_LIMITS.maxUnacked,
  });
  if (maxUnacked < batchSize)
    fail('maxUnacked', `is ${maxUnacked}, below batchSize ${batchSize}: no batch could fill`);

  const source = r.source;
  const generator = typeof definition.generate === 'function';
  if (generator) {
    if (source !== null) fail('source', 'must be null: this node type is a generator');
  } else if (typeof definition.transform !== 'function') {
    fail('type', 'the definition has neither a transform nor a generate function');
  } else {
    checkQueueName(source, 'source', fail);
  }

  const dest = compileDestination(r.dest, definition, fail);
  const codec = resolveCodec(r.codec, definition, fail);
  const retry = compileRetry(r.retry, check);
  const options = r.options;
  if (!isPlainObject(options)) fail('options', 'must be a plain object');
  const problem = jsonProblem(options, 'options', 0);
  if (problem !== undefined) fail(problem.field, problem.message);
  if (r.autoscale !== undefined) {
    const policyProblem = autoscalePolicyProblem(r.autoscale);
    if (policyProblem !== undefined)
      fail(['autoscale', policyProblem.field].filter(Boolean).join('.'), policyProblem.message);
  }
  if (r.rateLimit !== undefined) {
    const limitProblem = rateLimitProblem(r.rateLimit);
    if (limitProblem !== undefined)
      fail(['rateLimit', limitProblem.field].filter(Boolean).join('.'), limitProblem.message);
  }

  return {
    type: t,
    source: source as string | null,
    dest,
    failQueue: failQueueOf(t),
    batchSize,
    batchTimeoutMs,
    concurrency,
    batchesInFlight,
    maxUnacked,
    codec,
    retry,
    options: options as Record<string, unknown>,
    definition,
    recipe: recipe as NodeRecipe,
  };
}

function compileDestination(
  dest: unknown,
  definition: AnyNodeDefinition,
  fail: (field: string, message: string) => never,
): CompiledDestination {
  const routed = typeof definition.route === 'function';
  if (dest === null) {
    if (routed) fail('dest', 'must name destinations: this node type routes its outputs');
    return { kind: 'sink' };
  }
  if (Array.isArray(dest)) {
    if (routed)
      fail(
        'dest',
        'must name destinations (an object), not list queues: this node type routes its outputs',
      );
    if (dest.length === 0) fail('dest', 'must list at least one queue (null for a sink)');
    dest.forEach((queue, i) => checkQueueName(queue, `dest[${i}]`, fail));
    return { kind: 'fixed', queues: Object.freeze([...new Set(dest as string[])]) };
  }
  if (!isPlainObject(dest)) fail('dest', 'must be a list of queues, named destinations, or null');
  if (!routed)
    fail('dest', 'names destinations, but this node type has no route to choose among them');
  const names = Object.keys(dest as object);
  if (names.length === 0) fail('dest', 'must name at least one destination');
  const defined = definition.dest;
  if (isPlainObject(defined)) {
    for (const name of Object.keys(defined)) {
      if (!names.includes(name)) fail(`dest.${name}`, 'is missing: the definition routes to it');
    }
  }
  const routes = new Map<string, readonly string[]>();
  for (const name of names) {
    const queues = (dest as Record<string, unknown>)[name];
    if (!Array.isArray(queues) || queues.length === 0)
      fail(`dest.${name}`, 'must list at least one queue');
    (queues as unknown[]).forEach((queue, i) => checkQueueName(queue, `dest.${name}[${i}]`, fail));
    routes.set(name, Object.freeze([...new Set(queues as string[])]));
  }
  return { kind: 'routed', routes };
}

function resolveCodec(
  name: unknown,
  definition: AnyNodeDefinition,
  fail: (field: string, message: string) => never,
): BodyCodec {
  if (typeof name !== 'string' || name.length === 0) return fail('codec', 'must be a codec name');
  const own = definition.codec;
  if (typeof own === 'object' && own !== null && own.name === name) return own;
  return (
    codecByName(name) ??
    fail(
      'codec',
      `${JSON.stringify(name)} is not a codec this node knows (${[...CODEC_NAMES].join(', ')})`,
    )
  );
}

function compileRetry(retry: unknown, check: OptionChecker): CompiledRetry {
  if (!isPlainObject(retry)) return check.fail('retry', 'must be an object');
  const r = retry as Record<string, unknown>;
  const maxAttempts = check.wholeNumber('retry.maxAttempts', r.maxAttempts, {
    min: 1,
    max: RECIPE_LIMITS.maxAttempts,
  });
  // Retry delays are jittered fractions anyway: a fraction of a millisecond is allowed.
  const delay = { max: RECIPE_LIMITS.maxDelayMs, whole: false };
  const initialDelayMs = check.duration('retry.initialDelayMs', r.initialDelayMs, delay);
  const maxDelayMs = check.duration('retry.maxDelayMs', r.maxDelayMs, delay);
  if (maxDelayMs < initialDelayMs)
    check.fail('retry.maxDelayMs', `is below retry.initialDelayMs (${initialDelayMs})`);
  const multiplier = check.number('retry.multiplier', r.multiplier, {
    min: 1,
    max: RECIPE_LIMITS.maxMultiplier,
  });
  const jitter = check.number('retry.jitter', r.jitter, { min: 0, max: 1 });
  // Absent from recipes of a master that predates it: the default then.
  const maxRedeliveries = check.wholeNumber(
    'retry.maxRedeliveries',
    r.maxRedeliveries ?? DEFAULT_MAX_REDELIVERIES,
    { min: 0, max: RECIPE_LIMITS.maxRedeliveries },
  );
  return Object.freeze({
    maxAttempts,
    initialDelayMs,
    maxDelayMs,
    multiplier,
    jitter,
    maxRedeliveries,
  });
}

function checkQueueName(
  queue: unknown,
  field: string,
  fail: (field: string, message: string) => never,
): void {
  if (typeof queue !== 'string' || queue.length === 0)
    fail(field, 'must be a non-empty queue name');
  if (Buffer.byteLength(queue as string) > RECIPE_LIMITS.maxQueueLength) {
    fail(field, `must be at most ${RECIPE_LIMITS.maxQueueLength} bytes`);
  }
}
