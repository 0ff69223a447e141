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
  VersionNotSupported: 505,
} as const;

export type StatusCode = (typeof Status)[keyof typeof Status];

/**
 * The `code` of ERROR replies that peers act on, beside the decode error codes. Other codes are free text for people.
 */
export const ReplyCode = {
  /** To a HEARTBEAT from a worker the master does not know (lost, or the master restarted): send READY again. */
  NotRegistered: 'NOT_REGISTERED',
  /**
   * To a READY under a worker name that another worker holds (status 409): a live worker from another process, or,
   * with CURVE, a name bound to another key. The worker must not retry under that name.
   */
  NameTaken: 'NAME_TAKEN',
} as const;

export type ReplyCode = (typeof ReplyCode)[keyof typeof ReplyCode];
