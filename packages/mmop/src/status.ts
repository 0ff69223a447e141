/**
 * HTTP-like status codes carried by failure replies (`*-FAILURE`, `ERROR`), so scripts can tell a bad request from a
 * cluster that cannot serve it right now.
 */
export const Status = {
  /** The request is malformed or names something nobody knows (an unknown node type). */
  BadRequest: 400,
  /** The request names a worker or node that is not registered. */
  NotFound: 404,
  /** The workers did not answer in time. */
  Timeout: 408,
  /** The request conflicts with the cluster's state (a worker already draining). */
  Conflict: 409,
  /** The master failed while serving the request. */
  InternalError: 500,
  /** No registered worker can serve the request right now. */
  Unavailable: 503,
  /** The peer speaks a protocol version this side does not. */
  /** The worker's stream adapter cannot do what was asked (it lacks an optional capability). */
  NotImplemented: 501,
  VersionNotSupported: 505,
} as const;

export type StatusCode = (typeof Status)[keyof typeof Status];

/**
 * Every `code` a failure reply (`*-FAILURE`, ERROR) carries over MMOP/1, besides the decode error codes
 * (`DecodeErrorCode`, in ERROR replies to malformed messages). Peers act on `NOT_REGISTERED` and `NAME_TAKEN`; the
 * others name the condition for scripts and people. A receiver must accept a code it does not know (a newer peer may
 * send one) and fall back on the `status`.
 */
export const ReplyCode = {
  // ERROR, from the master.
  /** To a HEARTBEAT from a worker the master does not know (lost, or the master restarted): send READY again. */
  NotRegistered: 'NOT_REGISTERED',
  /**
   * To a READY under a worker name that another worker holds (status 409): a live worker from another process, or,
   * with CURVE, a name bound to another key. The worker must not retry under that name.
   */
  NameTaken: 'NAME_TAKEN',
  /** A message of a kind a master never accepts (a worker's kind from a control client, say); status 400. */
  UnexpectedKind: 'UNEXPECTED_KIND',
  /** The master failed while handling the request; status 500. */
  Internal: 'INTERNAL',

  // START-NODE-REQUEST-FAILURE.
  /** No worker is registered; status 503. */
  NoWorkers: 'NO_WORKERS',
  /** No worker offers the node type; status 400. */
  UnknownType: 'UNKNOWN_TYPE',
  /** No worker that can run the type has room; status 503. */
  NoCapacity: 'NO_CAPACITY',
  /** No node started, and every worker asked timed out; status 408. */
  StartTimeout: 'START_TIMEOUT',
  /** No node started; status 500. */
  StartFailed: 'START_FAILED',

  // STOP-NODE-FAILURE, from a worker, and STOP-NODE-REQUEST-FAILURE (which passes a worker's code on).
  /** The worker runs no node of that name; status 404. */
  UnknownNode: 'UNKNOWN_NODE',
  /** The target names a known type, but none of its nodes runs; status 404. */
  NotRunning: 'NOT_RUNNING',
  /** The target is neither a known node type nor a running node; status 404. */
  UnknownTarget: 'UNKNOWN_TARGET',
  /** No node stopped, and the workers gave no code; status 500. */
  StopFailed: 'STOP_FAILED',
  /** The worker did not answer STOP-NODE within the drain timeout and grace; status 408. */
  Timeout: 'TIMEOUT',
  /** The master closed before the worker answered; status 503. */
  Closed: 'CLOSED',

  // STOP-WORKER-REQUEST-FAILURE (SEND_FAILED also in STOP-NODE-REQUEST-FAILURE).
  /** No worker of that id is registered; status 404. */
  UnknownWorker: 'UNKNOWN_WORKER',
  /** The master could not send to the worker; status 503. */
  SendFailed: 'SEND_FAILED',
  /** The master closed before the worker left; status 503. */
  MasterClosing: 'MASTER_CLOSING',
  /** The worker did not leave within its drain timeout and grace; status 408. */
  DrainTimeout: 'DRAIN_TIMEOUT',

  // AUTOSCALE-REQUEST-FAILURE (UNKNOWN_TYPE too).
  /** The policy's figures do not fit together (min above max, say); status 400. */
  InvalidPolicy: 'INVALID_POLICY',

  // FAIL-QUEUE-FAILURE, from a worker, and FAIL-QUEUE-REQUEST-FAILURE (which passes it on; also NO_WORKERS,
  // UNKNOWN_TYPE, SEND_FAILED, TIMEOUT and CLOSED).
  /** The worker's stream adapter cannot inspect or move failed messages (not `FailedMessagesCapable`); status 501. */
  NotCapable: 'NOT_CAPABLE',
  /** `to` names a queue that no node of the system reads; status 400. */
  UnknownQueue: 'UNKNOWN_QUEUE',
  /** The adapter failed while acting on the fail queue (the broker went away, say); status 500. */
  FailQueueFailed: 'FAIL_QUEUE_FAILED',
  /** The worker asked left or was lost before it answered; status 503. */
  WorkerLost: 'WORKER_LOST',

  // Not sent by the master: the control client's own, for an answer of the wrong kind.
  /** The master answered a request with a kind that does not answer it. */
  UnexpectedAnswer: 'UNEXPECTED_ANSWER',
} as const;

export type ReplyCode = (typeof ReplyCode)[keyof typeof ReplyCode];
