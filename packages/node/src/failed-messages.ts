/**
 * Optional adapter capability: looking at and moving the messages that wait in a queue, for the operator's tooling
 * on fail queues (`monomyth failed`, `redrive`, `purge-failed`). Nodes never use it; a worker does, when the master
 * asks it to on an operator's behalf. Without it, those commands answer NOT_CAPABLE and nothing else changes.
 *
 * What an adapter promises when it has it. Only ready messages count (waiting to be handed out; those a consumer
 * holds unacknowledged are not seen, counted or moved), and:
 * - `countMessages`: the ready messages now.
 * - `peekMessages(queue, max)`: the first `max` ready messages, head first, with their bodies and headers as stored.
 *   Nothing is lost, removed or duplicated. An adapter whose backend cannot browse may take the messages and put them
 *   back (RabbitMQ: `basic.get`, then `basic.nack` with requeue): they are then marked redelivered, a consumer
 *   reading the queue at the same moment may see them late, and on some queues they go back behind the others
 *   (RabbitMQ's quorum queues; classic queues and the in-memory adapter keep the order). Its documentation says which.
 * - `moveMessages(from, to, { limit })`: moves up to `limit` messages from the head of `from` to the tail of `to`, in
 *   order (default limit: the ready count when the move begins, so that messages failing back into `from` while it
 *   runs are not moved again in a loop). Each copy carries the original body and headers, less the attempt count
 *   (`x-monomyth-attempt`: the message starts again at attempt 1), plus `x-monomyth-redrives` (one more than before)
 *   and `x-monomyth-redriven-at` (see `redriveHeaders`). A copy is durable in `to` before its original leaves `from`:
 *   if anything dies half way, nothing is lost; at most some messages are in both queues. Resolves with how many moved.
 * - `purgeMessages`: deletes the ready messages; resolves with how many.
 * All four reject with `UnknownQueueError` for a queue never declared (by this adapter or, for RabbitMQ, anyone),
 * and with `AdapterClosedError` when the adapter is not open.
 */
import { MonomythHeader } from './headers.js';
import type { HeaderValue, MessageHeaders, StreamAdapter } from './stream-adapter.js';

/** A message as `peekMessages` shows it. */
export interface PeekedMessage {
  readonly body: Uint8Array;
  readonly headers: MessageHeaders;
}

export interface MoveMessagesOptions {
  /** The most messages to move: a whole number >= 1. Default: the ready count when the move begins. */
  readonly limit?: number;
}

/** The capability (see this file's header). */
export interface FailedMessagesCapable {
  countMessages(queue: string): Promise<number>;
  peekMessages(queue: string, max: number): Promise<PeekedMessage[]>;
  moveMessages(from: string, to: string, options?: MoveMessagesOptions): Promise<number>;
  purgeMessages(queue: string): Promise<number>;
}

/** True when the adapter can count, peek at, move and purge queued messages (see `FailedMessagesCapable`). */
export function isFailedMessagesCapable<A extends StreamAdapter>(
  adapter: A,
): adapter is A & FailedMessagesCapable {
  const candidate = adapter as Partial<FailedMessagesCapable>;
  return (
    typeof candidate.countMessages === 'function' &&
    typeof candidate.peekMessages === 'function' &&
    typeof candidate.moveMessages === 'function' &&
    typeof candidate.purgeMessages === 'function'
  );
}

/**
 * The headers of a moved copy: the original's, without the attempt count, with the redrive count one higher and the
 * time of this move. The failure headers stay: they say what happened before, and a new failure overwrites them.
 */
export function redriveHeaders(headers: MessageHeaders, nowIso: string): MessageHeaders {
  const copy: Record<string, HeaderValue> = {};
  for (const name in headers) {
    if (name !== MonomythHeader.Attempt) copy[name] = headers[name] as HeaderValue;
  }
  copy[MonomythHeader.Redrives] = redrivesOf(headers) + 1;
  copy[MonomythHeader.RedrivenAt] = nowIso;
  return copy;
}

/** How many times a message was redriven before (0 when the header is absent or not a whole number). */
export function redrivesOf(headers: MessageHeaders): number {
  const value = headers[MonomythHeader.Redrives];
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Checks a move's limit: undefined (everything there) or a whole number >= 1. */
export function checkMoveLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) {
    throw new RangeError(`limit must be a whole number >= 1, got ${String(limit)}`);
  }
}

/** Checks a peek's size: a whole number >= 0. */
export function checkPeekMax(max: number): void {
  if (!(Number.isSafeInteger(max) && max >= 0)) {
    throw new RangeError(`max must be a whole number >= 0, got ${String(max)}`);
  }
}
