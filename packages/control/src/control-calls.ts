/**
 * What the ControlClient's calls take and answer: its options, each call's options and result, and the default
 * timeouts. The answers are the MMOP/1 success bodies without their envelope.
 */
import type { MessageOf } from '@monomyth/mmop';

export interface ControlClientOptions {
  /** The master's endpoint. @default DEFAULT_MASTER_ENDPOINT ('tcp://127.0.0.1:5555') */
  master?: string;
  /** How long ping and info requests wait for an answer. @default 5_000 */
  timeoutMs?: number;
  /**
   * This client's CURVE secret key (Z85), for a master with CURVE on; its public key must be in the master's
   * controllers keys directory. Needs `masterKey`. @default undefined: plain MMOP
   */
  curveSecretKey?: string;
  /** The master's CURVE public key (Z85). A wrong one gets no answer at all: calls time out. */
  masterKey?: string;
}

export interface WorkersQuery {
  /** Only the workers that offer this node type. */
  type?: string;
  /** At most this many (the first, in the master's order). @default all */
  limit?: number;
}

export interface RecipesQuery {
  /** At most this many (the first, by type name). @default all */
  limit?: number;
}

export interface StartNodeOptions {
  /** How long to wait for the master, which waits for the workers. @default 30_000 */
  timeoutMs?: number;
}

export interface StopOptions {
  /** How long each node (or the worker) may take to drain. @default the master's (DEFAULT_DRAIN_TIMEOUT_MS unless set) */
  drainTimeoutMs?: number;
  /** How long to wait for the answer. @default the drain timeout (or DEFAULT_DRAIN_TIMEOUT_MS) plus 15 s */
  timeoutMs?: number;
}

export const DEFAULT_CONTROL_TIMEOUT_MS = 5_000;
export const DEFAULT_CONTROL_START_TIMEOUT_MS = 30_000;
export const STOP_ANSWER_GRACE_MS = 15_000;
/** Entries asked for per WORKER-INFO or RECIPE-INFO page: a page of workers stays well under 1 MiB. */
export const INFO_PAGE_SIZE = 500;

export type StartNodeResult = Omit<MessageOf<'START-NODE-REQUEST-SUCCESS'>, 'kind' | 'requestId'>;
/** What a fail-queue request answers: the queue, its count after the action, and what the action did. */
export type FailQueueResult = Omit<MessageOf<'FAIL-QUEUE-REQUEST-SUCCESS'>, 'kind' | 'requestId'>;

export interface FailQueueOptions {
  /**
   * How long to wait for the answer (the master waits 30 s for a worker's inspect or purge, 10 min for a redrive).
   * @default DEFAULT_FAIL_QUEUE_TIMEOUT_MS, or DEFAULT_REDRIVE_TIMEOUT_MS for a redrive
   */
  timeoutMs?: number;
}

export interface RedriveOptions extends FailQueueOptions {
  /** The most messages to move. @default all that are in the fail queue when the move begins */
  limit?: number;
  /** The queue to move them to: one some node of the system reads. @default the type's source queue */
  to?: string;
}

/** The master's wait for a worker's inspect or purge, and some slack. */
export const DEFAULT_FAIL_QUEUE_TIMEOUT_MS = 35_000;
/** The master's wait for a worker's redrive, and some slack. */
export const DEFAULT_REDRIVE_TIMEOUT_MS = 605_000;
/** A type's autoscale policy (docs/scaling.md), as `autoscale()` sets it. */
export type AutoscalePolicyInput = NonNullable<MessageOf<'AUTOSCALE-REQUEST'>['policy']>;
/** What `autoscale()` answers: the policy the type follows now (absent: none) and its desired count. */
export type AutoscaleResult = Omit<MessageOf<'AUTOSCALE-REQUEST-SUCCESS'>, 'kind' | 'requestId'>;
/** A type's cluster-wide rate limit (docs/scaling.md), as `rateLimit()` sets it. */
export type RateLimitInput = NonNullable<MessageOf<'RATE-LIMIT-REQUEST'>['limit']>;
/** What `rateLimit()` answers: the limit the type has now (absent: none) and the nodes it is split across. */
export type RateLimitResult = Omit<MessageOf<'RATE-LIMIT-REQUEST-SUCCESS'>, 'kind' | 'requestId'>;
export type StopNodeResult = Required<
  Omit<MessageOf<'STOP-NODE-REQUEST-SUCCESS'>, 'kind' | 'requestId'>
>;
