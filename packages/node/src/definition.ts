/**
 * What a user writes: node definitions. A definition names a node type and says how its instances transform (or
 * generate) values, where they read and write, and with which options. `defineSystem` gathers definitions; a recipe
 * (recipe.ts) is the JSON-able part of one, sent to workers; the transform itself stays in the system module.
 */
import type { AutoscalePolicy, RateLimit } from '@monomyth/mmop';
import type { BodyCodec, CodecName } from './codecs.js';
import type { StandardSchemaV1 } from './input-schema.js';
import type { Logger } from './logger.js';
import type { MessageHeaders } from './stream-adapter.js';

/** Who a node instance is. */
export interface NodeInfo {
  /** The node type: the definition's name. */
  readonly type: string;
  /** This instance: `<TYPE>:<uuid>`. */
  readonly name: string;
  /** The worker running it, when the node was told (`CreateNodeOptions.worker`). */
  readonly worker: string | undefined;
}

/** What hooks, generators and routes get. */
export interface NodeContext {
  readonly node: NodeInfo;
  /** The node's logger: the injected one with the node's type and name bound. */
  readonly logger: Logger;
  /** Aborts when the node is told to stop (at once for `stop()`, at the drain timeout for `drain()`). */
  readonly signal: AbortSignal;
  /** The recipe's `options`: user settings for this node type, as sent by the master. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** What a transform gets beside the value: the node's context and the message's metadata. */
export interface TransformContext extends NodeContext {
  /** The queue the message came from. */
  readonly queue: string;
  readonly headers: MessageHeaders;
  /** 1 the first time, 2 on the first retry, ... */
  readonly attempt: number;
  /** The message was handed out before and came back (a node stopped, say): it may have been processed already. */
  readonly redelivered: boolean;
}

/**
 * What a transform returns: one output, an array of outputs (fan-out: each is its own message; to emit one array
 * value, wrap it: `[array]`), or nothing (`undefined`: a filter drops the message).
 */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a filter may return nothing at all
export type TransformResult<Out> = Out | readonly Out[] | undefined | void;

export type Transform<In, Out> = (
  input: In,
  ctx: TransformContext,
) => TransformResult<Out> | PromiseLike<TransformResult<Out>>;

/** Makes a generator's values: iterated until it ends (the node then stops) or the node is stopped. */
export type Generate<Out> = (ctx: NodeContext) => Iterable<Out> | AsyncIterable<Out>;

/** Chooses the named destination(s) of one output. */
export type Route<Out, Keys extends string> = (
  output: Out,
  ctx: NodeContext,
) => Keys | readonly Keys[];

export type Hook = (ctx: NodeContext) => void | PromiseLike<void>;

/**
 * Retry of a message whose transform threw. Attempt n (1-based) that fails is retried after
 * `min(maxDelayMs, initialDelayMs * multiplier^(n-1))`, spread by +-`jitter` (a fraction) so retries of one burst do not
 * come back together. After `maxAttempts` attempts, or at once for a `NonRetryableError`, the message goes to the fail
 * queue.
 */
export interface RetryOptions {
  /** Attempts in all, the first included: 1 means never retry. @default 3 */
  readonly maxAttempts?: number;
  /** @default 1000 */
  readonly initialDelayMs?: number;
  /** @default 60000 */
  readonly maxDelayMs?: number;
  /** @default 2 */
  readonly multiplier?: number;
  /** A fraction from 0 to 1. @default 0.2 */
  readonly jitter?: number;
  /**
   * Times a message may come back to the node's queue (its node crashed or stalled on it, or it was requeued)
   * before it goes to the fail queue with a `RedeliveryLimitError` instead of running again. Counted by the adapter
   * (`Delivery.redeliveryCount`). @default 10
   */
  readonly maxRedeliveries?: number;
}

/**
 * Where outputs go. A queue name, or several (fan-out: every output to each); `null` for a sink (outputs are
 * dropped); or named destinations, each a queue or several, chosen per output by `route`.
 */
export type Destination<Keys extends string = string> =
  string | readonly string[] | null | Readonly<Record<Keys, string | readonly string[]>>;

interface NodeOptions<Out, Keys extends string> {
  /** The node type: unique in its system. Letters, digits and `._-` (it names queues). */
  readonly name: string;
  /** Most messages per batch. @default 10 */
  readonly batchSize?: number;
  /** How long to wait, once a batch has its first message, for it to fill before processing it partial. @default 100 */
  readonly batchTimeoutMs?: number;
  /** Transforms running at once within a batch. @default 1 */
  readonly concurrency?: number;
  /**
   * Batches in flight at once: while one waits for the broker's confirms, the next ones are pulled, transformed and
   * published. Acks still follow confirms and go out in delivery order. 1 runs one batch at a time. Generators place
   * one batch at a time whatever this says. @default 4
   */
  readonly batchesInFlight?: number;
  /**
   * Messages held unacknowledged at most: the batches in flight, the next one arriving, and retries held by a node
   * whose adapter cannot retry later. It bounds everything in flight: below `batchesInFlight * batchSize`, fewer
   * batches overlap. At least `batchSize`. @default (batchesInFlight + 1) * batchSize
   */
  readonly maxUnacked?: number;
  readonly retry?: RetryOptions;
  /** How bodies are read and written. @default 'json' */
  readonly codec?: CodecName | BodyCodec;
  /** Where outputs go. In a linear system: the next node's queue (`<this>-to-<next>`, or `<this>-to-END`). */
  readonly dest?: Destination<Keys>;
  /** With named destinations: which one(s) each output goes to. */
  readonly route?: Route<Out, NoInfer<Keys>>;
  /**
   * Lets the master size this type by the backlog of its source queue: about `ceil(backlog / targetBacklogPerNode)`
   * nodes, within `min` and `max`, up after `scaleUpAfterMs` (default 5 s) above target, down one node at a time after
   * `scaleDownAfterMs` (default 30 s) below it. The operator may change or clear it at run time (`monomyth autoscale`).
   * See docs/scaling.md. @default none: the type's count is what start and stop requests set
   */
  readonly autoscale?: AutoscalePolicy;
  /**
   * At most `perSecond` messages a second processed by all the nodes of this type together, however many run: the
   * master splits it into a share per running node, and each node keeps to its share with a token bucket (a batch
   * waits for its tokens). `burst` (default perSecond / 10, at least 1) is how far a quiet type may run ahead. The
   * operator may change or clear it at run time (`monomyth rate-limit`). See docs/scaling.md. @default none
   */
  readonly rateLimit?: RateLimit;
  /** Settings for this node type, passed to hooks and transforms as `ctx.options`; JSON-able (they go in recipes). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Runs before the node pulls anything; a throw fails the node's start. */
  readonly onStart?: Hook;
  /** Runs after the node's last batch is settled, when it stops (gracefully or not). */
  readonly onStop?: Hook;
}

/** A node that reads a queue and transforms each message. */
export interface TransformNodeDefinition<
  In = unknown,
  Out = unknown,
  Keys extends string = string,
> extends NodeOptions<Out, Keys> {
  /** The queue it reads. In a linear system: the previous node's (`<previous>-to-<this>`, or `START-to-<this>`). */
  readonly source?: string;
  /**
   * What a message must look like once decoded: any Standard Schema validator (zod, valibot, arktype, ...). A message
   * that does not match goes to the fail queue with the issues in its headers, without running the transform, which
   * gets the schema's output. Without it, the transform gets whatever the codec decoded.
   */
  readonly inputSchema?: StandardSchemaV1<unknown, In>;
  readonly transform: Transform<In, Out>;
  readonly generate?: undefined;
}

/** A node that reads nothing and produces values (a generator). */
export interface GeneratorNodeDefinition<
  Out = unknown,
  Keys extends string = string,
> extends NodeOptions<Out, Keys> {
  readonly source?: null;
  readonly inputSchema?: undefined;
  readonly generate: Generate<Out>;
  readonly transform?: undefined;
}

export type NodeDefinition<In = unknown, Out = unknown, Keys extends string = string> =
  TransformNodeDefinition<In, Out, Keys> | GeneratorNodeDefinition<Out, Keys>;

/** Any definition, whatever its types: what systems hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a transform's parameter is contravariant: unknown would refuse every typed definition.
export type AnyNodeDefinition = NodeDefinition<any, any, string>;

/**
 * Types a definition: `In` from the transform's parameter, `Out` from what it returns, and the route's keys from the
 * named destinations. Returns the definition unchanged.
 */
export function defineNode<In, Out, Keys extends string = never>(
  definition: TransformNodeDefinition<In, Out, Keys>,
): TransformNodeDefinition<In, Out, Keys>;
export function defineNode<Out, Keys extends string = never>(
  definition: GeneratorNodeDefinition<Out, Keys>,
): GeneratorNodeDefinition<Out, Keys>;
export function defineNode(definition: AnyNodeDefinition): AnyNodeDefinition {
  return definition;
}
