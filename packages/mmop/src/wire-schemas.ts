/**
 * The wire shape of every MMOP/1 body: the msgpack map in a message's third frame, built from the parts in
 * wire-shapes.ts. These schemas are the single source of truth for field names, types and bounds; the codec compiles them into validators and the API types in messages.ts
 * are derived from them. Fields are a floor, not a ceiling: a peer may send more, and they are passed through.
 */
import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import {
  AutoscalePolicySchema,
  Count,
  ErrorCode,
  FailQueueAsk,
  FailQueueOrder,
  FailQueueOutcome,
  Failure,
  Id,
  InfoPageRequest,
  Millis,
  NodeStatusSchema,
  QueueStatsSchema,
  RateLimitSchema,
  RecipeInfoSchema,
  RecipeSchema,
  RequestId,
  RunningNode,
  StatusCode,
  Text,
  WithRequestId,
  WorkerInfoSchema,
} from './wire-shapes.js';

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
      /**
       * How often the worker's heartbeats must carry new counters (and queue counts) when nothing else about its nodes
       * changed; between, it may repeat its last heartbeat. Added within MMOP/1: absent means every heartbeat.
       */
      countersIntervalMs: Type.Optional(Type.Integer({ minimum: 1 })),
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
       * The counts of the source queues of the nodes it runs and of the types it offers without a node running
       * (at most 64 of those), read from its adapter at most once per heartbeat.
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
    body: FailQueueOrder,
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
