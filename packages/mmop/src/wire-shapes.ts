/**
 * The parts MMOP/1 bodies are made of: bounded scalars (ids, text, counts), recipes, node and queue figures, worker and
 * recipe info, fail-queue actions and info pages. wire-schemas.ts puts them together into each kind's body.
 */
import { Type } from '@sinclair/typebox';
import { MAX_TEXT_LENGTH } from './text.js';

/** Identifiers: worker ids, node names, node types, master epochs. */
export const Id = Type.String({ minLength: 1, maxLength: 256 });
export const RequestId = Type.String({ minLength: 1, maxLength: 128 });
/** Human-readable text: reasons and error messages. */
export const Text = Type.String({ maxLength: MAX_TEXT_LENGTH });
export const Count = Type.Integer({ minimum: 0 });
export const Millis = Type.Integer({ minimum: 0 });
export const StatusCode = Type.Integer({ minimum: 100, maximum: 599 });
export const ErrorCode = Type.String({ minLength: 1, maxLength: 64 });

/**
 * A recipe: the plain JSON-able description of one node instance, as built by @monomyth/node. The codec checks the
 * `type` and that every value is JSON-able (no binary, dates or extension types) within a nesting depth; the meaning of
 * the other fields belongs to the node package.
 */
export const RecipeSchema = Type.Intersect(
  [Type.Object({ type: Id }), Type.Record(Type.String(), Type.Unknown())],
  {
    $id: 'Recipe',
  },
);

/** A node's state and counters, as a worker reports it in heartbeats and the master in worker info. */
export const NodeStatusSchema = Type.Object({
  name: Id,
  type: Id,
  state: Type.String({ minLength: 1, maxLength: 32 }),
  processed: Count,
  failed: Count,
  retried: Count,
  inFlight: Count,
  batches: Count,
  restarts: Count,
  latencyP50Ms: Type.Optional(Type.Number({ minimum: 0 })),
  latencyP99Ms: Type.Optional(Type.Number({ minimum: 0 })),
  /** Output messages published. Optional: workers before it did not send it. */
  published: Type.Optional(Count),
});

/**
 * One queue's counts as a worker's adapter reported them (`QueueStats` in @monomyth/node): `ready` and `consumers` are
 * the queue's, the same seen from every worker; `unacked` is what this worker's consumers hold (RabbitMQ adapter), so
 * the master sums it over workers and takes `ready` from the newest report.
 */
export const QueueStatsSchema = Type.Object({
  queue: Id,
  ready: Count,
  unacked: Count,
  consumers: Count,
});

export const RunningNode = Type.Object({ name: Id, type: Id, recipe: RecipeSchema });

export const WorkerInfoSchema = Type.Object({
  workerId: Id,
  host: Text,
  pid: Count,
  capacity: Count,
  state: Type.String({ minLength: 1, maxLength: 32 }),
  lastSeenMsAgo: Millis,
  /**
   * How long the worker's event loop had not answered, as its last heartbeat said: 0 when healthy. Past the master's
   * liveness window the worker's `state` is `stalled`. Optional: masters before it did not send it.
   */
  eventLoopLagMs: Type.Optional(Millis),
  types: Type.Array(Id),
  nodes: Type.Array(NodeStatusSchema),
});

/**
 * An autoscale policy (docs/scaling.md): the master keeps a type's desired count within [min, max], at about
 * ceil(backlog / targetBacklogPerNode), rising once the backlog has been above target for scaleUpAfterMs and falling one
 * node at a time after scaleDownAfterMs below it. min <= max is checked by `autoscalePolicyProblem`.
 */
export const AutoscalePolicySchema = Type.Object({
  min: Type.Integer({ minimum: 0, maximum: 10_000 }),
  max: Type.Integer({ minimum: 1, maximum: 10_000 }),
  targetBacklogPerNode: Type.Integer({ minimum: 1 }),
  scaleUpAfterMs: Type.Optional(Millis),
  scaleDownAfterMs: Type.Optional(Millis),
});

/** The last change of desired count the master's autoscaler decided for a type, with the figures it was made from. */
export const AutoscaleDecisionSchema = Type.Object({
  /** When it was decided, in ms since the epoch (the master's clock). */
  at: Millis,
  from: Count,
  to: Count,
  /** The type's backlog (ready + unacknowledged on its source queue) when it was decided. */
  backlog: Count,
  /** False when no worker had room for the nodes it wanted (reported once, not retried in a loop). */
  placed: Type.Boolean(),
  reason: Text,
});

/**
 * A cluster-wide rate limit (docs/scaling.md): at most `perSecond` messages a second processed by all the nodes of a
 * type together; the master splits it into a share per running node. `burst`: how many messages a node may process
 * at once after a quiet spell (its bucket's size), split the same way. Checked further by `rateLimitProblem`.
 */
export const RateLimitSchema = Type.Object({
  perSecond: Type.Number({ minimum: 0 }),
  burst: Type.Optional(Type.Number({ minimum: 0 })),
});

export const RecipeInfoSchema = Type.Object({
  type: Id,
  desired: Count,
  running: Count,
  outstanding: Count,
  completed: Count,
  failed: Count,
  workers: Count,
  /** The type's autoscale policy, from its definition or set at run time; absent: its count is set by hand. */
  autoscale: Type.Optional(AutoscalePolicySchema),
  /** The autoscaler's last decision for the type, once it has made one. */
  lastDecision: Type.Optional(AutoscaleDecisionSchema),
  /** The type's cluster-wide rate limit, from its definition or set at run time; absent: none. */
  rateLimit: Type.Optional(RateLimitSchema),
  /**
   * Its source queue's counts, from the workers' heartbeats (ready from the newest report, unacked summed over
   * workers); absent for a generator, or until a heartbeat has reported the queue.
   */
  backlog: Type.Optional(Type.Object({ ready: Count, unacked: Count })),
});

export const Failure = Type.Object({
  requestId: RequestId,
  status: StatusCode,
  code: ErrorCode,
  reason: Text,
});
export const WithRequestId = Type.Object({ requestId: RequestId });

/** The most failed messages one FAIL-QUEUE answer shows (`peek`). */
export const MAX_FAIL_QUEUE_PEEK = 50;

/**
 * What FAIL-QUEUE-REQUEST (control -> master) and FAIL-QUEUE (master -> worker) ask of a node type's fail queue:
 * `inspect` counts it and shows the first `peek` messages, `redrive` moves up to `limit` of them to `to` (default the
 * type's source queue), `purge` deletes them all. docs/mmop.md and docs/operations.md say what each guarantees.
 */
const FailQueueAction = Type.Union([
  Type.Literal('inspect'),
  Type.Literal('redrive'),
  Type.Literal('purge'),
]);

const failQueueAskFields = {
  requestId: RequestId,
  type: Id,
  action: FailQueueAction,
  /** inspect: how many messages to show from the head of the queue; 0 or absent, the count alone. */
  peek: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_FAIL_QUEUE_PEEK })),
  /** redrive: the most messages to move; absent, as many as the queue held when the move began. */
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  /** redrive: the queue to move them to, one the system knows; absent, the type's source queue. */
  to: Type.Optional(Id),
};

export const FailQueueAsk = Type.Object(failQueueAskFields);

/**
 * The request as the master passes it to a worker, with the largest answer body it will take (its frame limit): a
 * larger frame would cost the worker its connection. Added within MMOP/1: absent, the worker does not cut its answer.
 */
export const FailQueueOrder = Type.Object({
  ...failQueueAskFields,
  maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
});

/**
 * One failed message as `inspect` shows it: what its `x-monomyth-*` failure headers say (each absent when the message
 * lacks the header: a broker dead-letter has none), its size and the start of its body, and its other headers.
 * Texts are cut short by the worker so that a page of them fits a frame.
 */
export const FailedMessageSchema = Type.Object({
  reason: Type.Optional(Text),
  /** The failing error's name (its class): the error code. */
  errorName: Type.Optional(Text),
  step: Type.Optional(Text),
  attempts: Type.Optional(Count),
  firstFailureAt: Type.Optional(Text),
  lastFailureAt: Type.Optional(Text),
  sourceQueue: Type.Optional(Text),
  nodeName: Type.Optional(Text),
  /** How many times it was redriven before. */
  redrives: Type.Optional(Count),
  bodyBytes: Count,
  /** The start of the body as UTF-8 text (undecodable bytes as U+FFFD). */
  preview: Text,
  headers: Type.Array(Type.Object({ name: Text, value: Text }), { maxItems: 64 }),
});

/** What a FAIL-QUEUE action did, as the worker answers it and the master passes it on. */
export const FailQueueOutcome = {
  requestId: RequestId,
  type: Id,
  action: FailQueueAction,
  /** The fail queue (`<type>-fail`). */
  queue: Id,
  /** Messages in the fail queue once the action was done. */
  count: Count,
  /** inspect: the first messages, head first. */
  messages: Type.Optional(Type.Array(FailedMessageSchema, { maxItems: MAX_FAIL_QUEUE_PEEK })),
  /** inspect: messages peeked but left out of `messages` so that the answer fits the master's frame limit. */
  omitted: Type.Optional(Count),
  /** redrive: how many moved, and where to. */
  moved: Type.Optional(Count),
  to: Type.Optional(Id),
  /** purge: how many were deleted. */
  purged: Type.Optional(Count),
};

/** The most entries one INFO-RESPONSE page holds; a request's `limit` is at most this. */
export const MAX_INFO_PAGE = 10_000;

/**
 * WORKER-INFO and RECIPE-INFO: with neither `offset` nor `limit`, the whole list (as before pages existed); with
 * either, the entries from `offset` (default 0), at most `limit` (default MAX_INFO_PAGE), and the list's `total`.
 */
export const InfoPageRequest = Type.Object({
  requestId: RequestId,
  offset: Type.Optional(Count),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INFO_PAGE })),
});
