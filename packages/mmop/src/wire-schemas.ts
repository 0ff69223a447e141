/**
 * The wire shape of every MMOP/1 body: the msgpack map in a message's third frame. These schemas are the single source
 * of truth for field names, types and bounds; the codec compiles them into validators and the API types in messages.ts
 * are derived from them. Fields are a floor, not a ceiling: a peer may send more, and they are passed through.
 */
import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { MAX_TEXT_LENGTH } from './text.js';

/** Identifiers: worker ids, node names, node types, master epochs. */
const Id = Type.String({ minLength: 1, maxLength: 256 });
const RequestId = Type.String({ minLength: 1, maxLength: 128 });
/** Human-readable text: reasons and error messages. */
const Text = Type.String({ maxLength: MAX_TEXT_LENGTH });
const Count = Type.Integer({ minimum: 0 });
const Millis = Type.Integer({ minimum: 0 });
const StatusCode = Type.Integer({ minimum: 100, maximum: 599 });
const ErrorCode = Type.String({ minLength: 1, maxLength: 64 });

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

const RunningNode = Type.Object({ name: Id, type: Id, recipe: RecipeSchema });

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

const Failure = Type.Object({
  requestId: RequestId,
  status: StatusCode,
  code: ErrorCode,
  reason: Text,
});
const WithRequestId = Type.Object({ requestId: RequestId });

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

const FailQueueAsk = Type.Object({
  requestId: RequestId,
  type: Id,
  action: FailQueueAction,
  /** inspect: how many messages to show from the head of the queue; 0 or absent, the count alone. */
  peek: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_FAIL_QUEUE_PEEK })),
  /** redrive: the most messages to move; absent, as many as the queue held when the move began. */
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  /** redrive: the queue to move them to, one the system knows; absent, the type's source queue. */
  to: Type.Optional(Id),
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
const FailQueueOutcome = {
  requestId: RequestId,
  type: Id,
  action: FailQueueAction,
  /** The fail queue (`<type>-fail`). */
  queue: Id,
  /** Messages in the fail queue once the action was done. */
  count: Count,
  /** inspect: the first messages, head first. */
  messages: Type.Optional(Type.Array(FailedMessageSchema, { maxItems: MAX_FAIL_QUEUE_PEEK })),
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
const InfoPageRequest = Type.Object({
  requestId: RequestId,
  offset: Type.Optional(Count),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INFO_PAGE })),
});

/** Who sends a kind to whom; documentation and a check for tests, not enforced by the codec. */
export type Direction =
  | 'worker-to-master'
  | 'master-to-worker'
  | 'worker-and-master'
  | 'control-to-master'
  | 'master-to-control'
  | 'master-to-any';

interface KindSpec {
  readonly direction: Direction;
  readonly body: TSchema;
}

/** Every MMOP/1 message kind: its name on the wire, who sends it, and its body. */
export const KIND_SPECS = {
  READY: {
    direction: 'worker-to-master',
    body: Type.Object({
      workerId: Id,
      host: Text,
      pid: Count,
      capacity: Count,
      /** One recipe per node type the worker's system can run. */
      recipes: Type.Array(RecipeSchema),
      /** Nodes already running: empty on first registration, filled when re-registering with a restarted master. */
      nodes: Type.Array(RunningNode),
    }),
  },
  REGISTERED: {
    direction: 'master-to-worker',
    body: Type.Object({
      workerId: Id,
      heartbeatIntervalMs: Type.Integer({ minimum: 1 }),
      heartbeatMisses: Type.Integer({ minimum: 1 }),
      masterEpoch: Id,
    }),
  },
  HEARTBEAT: {
    direction: 'worker-to-master',
    body: Type.Object({
      /** The epoch of the master this worker registered with ('' before it has registered). */
      masterEpoch: Type.String({ maxLength: 256 }),
      nodes: Type.Array(NodeStatusSchema),
      /**
       * How long the event loop that runs the nodes' code has not answered, in ms (0 when healthy). Heartbeats are
       * sent from a thread of their own, so a blocked loop shows here instead of as silence. Optional: workers before
       * it did not send it, and the master reads its absence as 0.
       */
      eventLoopLagMs: Type.Optional(Millis),
      /**
       * The counts of the source queues of the nodes it runs, read from its adapter at most once per heartbeat.
       * Optional: absent when the adapter cannot report them (not `QueueStatsCapable`), and from workers before it.
       */
      queues: Type.Optional(Type.Array(QueueStatsSchema, { maxItems: 4096 })),
    }),
  },
  'HEARTBEAT-ACK': {
    direction: 'master-to-worker',
    body: Type.Object({ masterEpoch: Id }),
  },
  'START-NODE': {
    direction: 'master-to-worker',
    body: Type.Object({ requestId: RequestId, recipe: RecipeSchema }),
  },
  'START-NODE-SUCCESS': {
    direction: 'worker-to-master',
    body: Type.Object({ requestId: RequestId, type: Id, nodeName: Id }),
  },
  'START-NODE-FAILURE': {
    direction: 'worker-to-master',
    body: Type.Object({ requestId: RequestId, type: Id, category: ErrorCode, reason: Text }),
  },
  'STOP-NODE': {
    direction: 'master-to-worker',
    body: Type.Object({ requestId: RequestId, nodeName: Id, drainTimeoutMs: Millis }),
  },
  'STOP-NODE-SUCCESS': {
    direction: 'worker-to-master',
    body: Type.Object({ requestId: RequestId, nodeName: Id }),
  },
  'STOP-NODE-FAILURE': {
    direction: 'worker-to-master',
    body: Type.Object({
      requestId: RequestId,
      nodeName: Id,
      status: StatusCode,
      code: ErrorCode,
      reason: Text,
    }),
  },
  'NODE-EXITED': {
    direction: 'worker-to-master',
    body: Type.Object({
      nodeName: Id,
      type: Id,
      reason: Text,
      /** The worker will start the node again itself (a crash within its restart budget). */
      restarting: Type.Boolean(),
      /** The node finished its work (a generator that ran out), rather than failing: it is not to be placed again. */
      completed: Type.Optional(Type.Boolean()),
    }),
  },
  SHUTDOWN: {
    direction: 'master-to-worker',
    body: Type.Object({ drainTimeoutMs: Millis }),
  },
  BYE: {
    direction: 'worker-to-master',
    body: Type.Object({ reason: Text }),
  },
  PING: {
    direction: 'control-to-master',
    body: WithRequestId,
  },
  PONG: {
    direction: 'master-to-control',
    body: Type.Object({ requestId: RequestId, masterEpoch: Id }),
  },
  'WORKER-INFO': {
    direction: 'control-to-master',
    body: Type.Object({
      ...InfoPageRequest.properties,
      /** Only the workers that offer this node type; pages (`offset`, `total`) count those alone. */
      type: Type.Optional(Id),
    }),
  },
  'RECIPE-INFO': {
    direction: 'control-to-master',
    body: InfoPageRequest,
  },
  'INFO-RESPONSE': {
    direction: 'master-to-control',
    body: Type.Object({
      requestId: RequestId,
      /** Present in answer to WORKER-INFO. */
      workers: Type.Optional(Type.Array(WorkerInfoSchema)),
      /** Present in answer to RECIPE-INFO. */
      recipes: Type.Optional(Type.Array(RecipeInfoSchema)),
      /** The length of the whole list, when the request asked for a page (`offset` or `limit`). */
      total: Type.Optional(Count),
    }),
  },
  'START-NODE-REQUEST': {
    direction: 'control-to-master',
    body: Type.Object({
      requestId: RequestId,
      type: Id,
      count: Type.Integer({ minimum: 1, maximum: 10_000 }),
    }),
  },
  'START-NODE-REQUEST-SUCCESS': {
    direction: 'master-to-control',
    body: Type.Object({
      requestId: RequestId,
      type: Id,
      started: Type.Array(Type.Object({ nodeName: Id, workerId: Id })),
      /** Starts that a worker refused or did not answer in time; the request succeeds while at least one started. */
      failures: Type.Array(Type.Object({ workerId: Id, category: ErrorCode, reason: Text })),
    }),
  },
  'START-NODE-REQUEST-FAILURE': {
    direction: 'master-to-control',
    body: Failure,
  },
  'STOP-NODE-REQUEST': {
    direction: 'control-to-master',
    body: Type.Object({
      requestId: RequestId,
      /** A node type (stops `count` of its nodes) or a node name (stops that node). */
      target: Id,
      count: Type.Integer({ minimum: 1, maximum: 10_000 }),
      drainTimeoutMs: Type.Optional(Millis),
    }),
  },
  'STOP-NODE-REQUEST-SUCCESS': {
    direction: 'master-to-control',
    body: Type.Object({
      requestId: RequestId,
      stopped: Type.Array(Type.Object({ nodeName: Id, workerId: Id })),
      /** Nodes chosen to stop that a worker could not stop (or did not answer for in time). */
      failures: Type.Optional(
        Type.Array(Type.Object({ nodeName: Id, workerId: Id, reason: Text })),
      ),
    }),
  },
  'STOP-NODE-REQUEST-FAILURE': {
    direction: 'master-to-control',
    body: Failure,
  },
  'STOP-WORKER-REQUEST': {
    direction: 'control-to-master',
    body: Type.Object({
      requestId: RequestId,
      workerId: Id,
      drainTimeoutMs: Type.Optional(Millis),
    }),
  },
  'STOP-WORKER-REQUEST-SUCCESS': {
    direction: 'master-to-control',
    body: Type.Object({ requestId: RequestId, workerId: Id }),
  },
  'STOP-WORKER-REQUEST-FAILURE': {
    direction: 'master-to-control',
    body: Failure,
  },
  'AUTOSCALE-REQUEST': {
    direction: 'control-to-master',
    body: Type.Object({
      requestId: RequestId,
      type: Id,
      /** The policy to follow from now on; absent: autoscaling off (the desired count stays where it is). */
      policy: Type.Optional(AutoscalePolicySchema),
    }),
  },
  'AUTOSCALE-REQUEST-SUCCESS': {
    direction: 'master-to-control',
    body: Type.Object({
      requestId: RequestId,
      type: Id,
      policy: Type.Optional(AutoscalePolicySchema),
      desired: Count,
    }),
  },
  'AUTOSCALE-REQUEST-FAILURE': {
    direction: 'master-to-control',
    body: Failure,
  },
  'RATE-LIMIT-REQUEST': {
    direction: 'control-to-master',
    body: Type.Object({
      requestId: RequestId,
      type: Id,
      /** The limit from now on; absent: no limit. */
      limit: Type.Optional(RateLimitSchema),
    }),
  },
  'RATE-LIMIT-REQUEST-SUCCESS': {
    direction: 'master-to-control',
    body: Type.Object({
      requestId: RequestId,
      type: Id,
      limit: Type.Optional(RateLimitSchema),
      /** The running nodes the limit is split across now. */
      nodes: Count,
    }),
  },
  'RATE-LIMIT-REQUEST-FAILURE': {
    direction: 'master-to-control',
    body: Failure,
  },
  'NODE-RATE-LIMIT': {
    direction: 'master-to-worker',
    body: Type.Object({
      nodeName: Id,
      /** The node's share of its type's limit, in messages a second; absent: no limit. */
      perSecond: Type.Optional(Type.Number({ minimum: 0 })),
      /** The node's share of the burst. */
      burst: Type.Optional(Type.Number({ minimum: 0 })),
    }),
  },
  'FAIL-QUEUE-REQUEST': {
    direction: 'control-to-master',
    body: FailQueueAsk,
  },
  'FAIL-QUEUE-REQUEST-SUCCESS': {
    direction: 'master-to-control',
    /** The worker's answer, and which worker gave it. */
    body: Type.Object({ ...FailQueueOutcome, workerId: Id }),
  },
  'FAIL-QUEUE-REQUEST-FAILURE': {
    direction: 'master-to-control',
    body: Failure,
  },
  'FAIL-QUEUE': {
    direction: 'master-to-worker',
    body: FailQueueAsk,
  },
  'FAIL-QUEUE-SUCCESS': {
    direction: 'worker-to-master',
    body: Type.Object(FailQueueOutcome),
  },
  'FAIL-QUEUE-FAILURE': {
    direction: 'worker-to-master',
    body: Type.Object({
      requestId: RequestId,
      type: Id,
      status: StatusCode,
      code: ErrorCode,
      reason: Text,
    }),
  },
  ERROR: {
    direction: 'master-to-any',
    body: Type.Object({
      /** The request this answers, when it could be read from the malformed message. */
      requestId: Type.Optional(RequestId),
      status: StatusCode,
      code: ErrorCode,
      reason: Text,
    }),
  },
} as const satisfies Record<string, KindSpec>;
