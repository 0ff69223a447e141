/**
 * Monomyth's own message headers. They travel with the message through any backend, so a retried message knows its
 * attempt and a failed one says why it failed, wherever it is read.
 */
import type { HeaderValue, MessageHeaders } from './stream-adapter.js';

export const MonomythHeader = {
  /** The processing attempt the message stands for: 1 (or absent) the first time, 2 on the first retry, ... */
  Attempt: 'x-monomyth-attempt',
  /** When the message first failed (ISO 8601), kept across retries. */
  FirstFailureAt: 'x-monomyth-first-failure-at',
  /** When it last failed (ISO 8601). */
  LastFailureAt: 'x-monomyth-last-failure-at',
  /** On a fail-queue copy: the failing error's message. */
  ErrorMessage: 'x-monomyth-error-message',
  /** On a fail-queue copy: the failing error's name (its class, `NonRetryableError`, ...). */
  ErrorName: 'x-monomyth-error-name',
  /** The step that failed: `pull` (the body did not decode), `transform`, or `place` (routing or encoding). */
  Step: 'x-monomyth-step',
  /** The type of the node that failed it. */
  NodeType: 'x-monomyth-node-type',
  /** The name of the node that failed it (`<TYPE>:<uuid>`). */
  NodeName: 'x-monomyth-node-name',
  /** The worker the node ran on, when the node was told. */
  Worker: 'x-monomyth-worker',
  /** On a fail-queue copy: how many attempts were made. */
  Attempts: 'x-monomyth-attempts',
  /** The queue the failed message was consumed from. */
  SourceQueue: 'x-monomyth-source-queue',
  /** True on a fail-queue copy whose error said retrying cannot help. */
  NonRetryable: 'x-monomyth-non-retryable',
  /** On a fail-queue copy of a message that did not match the node's input schema: the issues, as JSON. */
  ValidationIssues: 'x-monomyth-validation-issues',
  /** On a fail-queue copy of a redelivered message: how many times it had come back, when the adapter knew. */
  Redeliveries: 'x-monomyth-redeliveries',
  /**
   * On a fail-queue copy trimmed to fit (the full copy was refused): the original headers left out, largest first,
   * as a comma-separated list of names.
   */
  DroppedHeaders: 'x-monomyth-dropped-headers',
  /**
   * On a fail-queue copy without its body (the stream refused every copy with it, and the adapter cannot dead-letter
   * the original): the byte length of the body that was dropped.
   */
  BodyDropped: 'x-monomyth-body-dropped',
  /** On a message moved back from a fail queue (`FailedMessagesCapable.moveMessages`): how many times it was. */
  Redrives: 'x-monomyth-redrives',
  /** When it was last moved back from a fail queue (ISO 8601). */
  RedrivenAt: 'x-monomyth-redriven-at',
} as const;

/** One of Monomyth's header names. */
export type MonomythHeader = (typeof MonomythHeader)[keyof typeof MonomythHeader];

/** Frozen, shared by every message without headers: outputs need none, and allocating one each would be waste. */
export const NO_HEADERS: MessageHeaders = Object.freeze({});

/**
 * Reads the attempt header: a whole number >= 1, as a number or decimal text (some brokers turn numbers into
 * strings). Anything else, or nothing, reads as 1.
 */
export function attemptOf(headers: MessageHeaders | undefined): number {
  const value: HeaderValue | undefined = headers?.[MonomythHeader.Attempt];
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}
