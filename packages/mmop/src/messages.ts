/**
 * The API side of MMOP/1: a message is a plain object discriminated on `kind`, with its body's fields beside it
 * (`{ kind: 'PING', requestId: 'r1' }`). The types are derived from the wire schemas, so they cannot drift apart.
 */
import type { Static } from '@sinclair/typebox';
import { KIND_SPECS } from './wire-schemas.js';
import type {
  FailedMessageSchema,
  AutoscaleDecisionSchema,
  AutoscalePolicySchema,
  RateLimitSchema,
  NodeStatusSchema,
  QueueStatsSchema,
  RecipeInfoSchema,
  RecipeSchema,
  WorkerInfoSchema,
} from './wire-shapes.js';

type Specs = typeof KIND_SPECS;

/** The name of a message kind as it travels in the second frame, e.g. `'START-NODE'`. */
export type MessageKind = keyof Specs;

/** Every message kind, by a name usable in code: `MessageKind.StartNode === 'START-NODE'`. */
export const MessageKind = {
  Ready: 'READY',
  Registered: 'REGISTERED',
  Heartbeat: 'HEARTBEAT',
  HeartbeatAck: 'HEARTBEAT-ACK',
  StartNode: 'START-NODE',
  StartNodeSuccess: 'START-NODE-SUCCESS',
  StartNodeFailure: 'START-NODE-FAILURE',
  StopNode: 'STOP-NODE',
  StopNodeSuccess: 'STOP-NODE-SUCCESS',
  StopNodeFailure: 'STOP-NODE-FAILURE',
  NodeExited: 'NODE-EXITED',
  Shutdown: 'SHUTDOWN',
  Bye: 'BYE',
  Ping: 'PING',
  Pong: 'PONG',
  WorkerInfo: 'WORKER-INFO',
  RecipeInfo: 'RECIPE-INFO',
  InfoResponse: 'INFO-RESPONSE',
  StartNodeRequest: 'START-NODE-REQUEST',
  StartNodeRequestSuccess: 'START-NODE-REQUEST-SUCCESS',
  StartNodeRequestFailure: 'START-NODE-REQUEST-FAILURE',
  StopNodeRequest: 'STOP-NODE-REQUEST',
  StopNodeRequestSuccess: 'STOP-NODE-REQUEST-SUCCESS',
  StopNodeRequestFailure: 'STOP-NODE-REQUEST-FAILURE',
  StopWorkerRequest: 'STOP-WORKER-REQUEST',
  StopWorkerRequestSuccess: 'STOP-WORKER-REQUEST-SUCCESS',
  StopWorkerRequestFailure: 'STOP-WORKER-REQUEST-FAILURE',
  AutoscaleRequest: 'AUTOSCALE-REQUEST',
  AutoscaleRequestSuccess: 'AUTOSCALE-REQUEST-SUCCESS',
  AutoscaleRequestFailure: 'AUTOSCALE-REQUEST-FAILURE',
  RateLimitRequest: 'RATE-LIMIT-REQUEST',
  RateLimitRequestSuccess: 'RATE-LIMIT-REQUEST-SUCCESS',
  RateLimitRequestFailure: 'RATE-LIMIT-REQUEST-FAILURE',
  NodeRateLimit: 'NODE-RATE-LIMIT',
  FailQueueRequest: 'FAIL-QUEUE-REQUEST',
  FailQueueRequestSuccess: 'FAIL-QUEUE-REQUEST-SUCCESS',
  FailQueueRequestFailure: 'FAIL-QUEUE-REQUEST-FAILURE',
  FailQueue: 'FAIL-QUEUE',
  FailQueueSuccess: 'FAIL-QUEUE-SUCCESS',
  FailQueueFailure: 'FAIL-QUEUE-FAILURE',
  Error: 'ERROR',
} as const satisfies Record<string, MessageKind>;

/** All kinds in a stable order (the order of the protocol reference). */
export const MESSAGE_KINDS = Object.keys(KIND_SPECS) as readonly MessageKind[];

/** The body fields of one kind. */
export type MessageBody<K extends MessageKind> = Static<Specs[K]['body']>;

/** One message of kind K. */
export type MessageOf<K extends MessageKind> = { kind: K } & MessageBody<K>;

/** Any MMOP/1 message. */
export type MmopMessage = { [K in MessageKind]: MessageOf<K> }[MessageKind];

/** Kinds whose body carries a `requestId`, which the answer echoes. */
export type RequestKind = {
  [K in MessageKind]: MessageBody<K> extends { requestId: string } ? K : never;
}[MessageKind];

export type Recipe = Static<typeof RecipeSchema>;
export type NodeStatus = Static<typeof NodeStatusSchema>;
/** One queue's counts in a HEARTBEAT (see `QueueStatsSchema`). */
export type QueueCounts = Static<typeof QueueStatsSchema>;
export type WorkerInfo = Static<typeof WorkerInfoSchema>;
export type RecipeInfo = Static<typeof RecipeInfoSchema>;
/** One failed message as FAIL-QUEUE `inspect` shows it. */
export type FailedMessageInfo = Static<typeof FailedMessageSchema>;
/** What a FAIL-QUEUE request asks of a type's fail queue. */
export type FailQueueAction = MessageBody<'FAIL-QUEUE'>['action'];
export type AutoscalePolicy = Static<typeof AutoscalePolicySchema>;
export type AutoscaleDecision = Static<typeof AutoscaleDecisionSchema>;
export type RateLimit = Static<typeof RateLimitSchema>;

export function isMessageKind(value: string): value is MessageKind {
  return Object.hasOwn(KIND_SPECS, value);
}
