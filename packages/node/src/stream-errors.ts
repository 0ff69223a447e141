/**
 * The errors of the StreamAdapter contract (stream-adapter.ts): what adapters reject with, each with a stable code from
 * `StreamErrorCode`, so that nodes (and the conformance suite) recognise them whatever the backend.
 * Branded with `brandError` (errors.ts says why).
 */
import { MonomythError, brandError } from '@monomyth/mmop';

/** The stable codes of the stream adapter errors below. */
export const StreamErrorCode = {
  AdapterClosed: 'ADAPTER_CLOSED',
  ConsumerClosed: 'CONSUMER_CLOSED',
  ConsumerBusy: 'CONSUMER_BUSY',
  UnknownDelivery: 'UNKNOWN_DELIVERY',
  UnknownQueue: 'UNKNOWN_QUEUE',
  MessagesRejected: 'MESSAGES_REJECTED',
} as const;

export type StreamErrorCode = (typeof StreamErrorCode)[keyof typeof StreamErrorCode];

/** An adapter operation before `open()` resolved or after `close()` began. */
export class AdapterClosedError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.AdapterClosedError');
  }

  readonly code = StreamErrorCode.AdapterClosed;

  constructor(operation: string, state: 'not open' | 'closing' | 'closed') {
    super(`cannot ${operation}: the stream adapter is ${state}`);
  }
}

/** A consumer operation after the consumer (or its adapter) closed. */
export class ConsumerClosedError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.ConsumerClosedError');
  }

  readonly code = StreamErrorCode.ConsumerClosed;
  readonly queue: string;

  constructor(operation: string, queue: string) {
    super(`cannot ${operation}: the consumer of ${JSON.stringify(queue)} is closed`);
    this.queue = queue;
  }
}

/** `nextBatch` called while another `nextBatch` on the same consumer is pending. */
export class ConsumerBusyError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.ConsumerBusyError');
  }

  readonly code = StreamErrorCode.ConsumerBusy;

  constructor(queue: string) {
    super(
      `a nextBatch on ${JSON.stringify(queue)} is already pending: a consumer serves one pull at a time`,
    );
  }
}

/**
 * `ack`, `requeue` or `deadLetter` of a delivery this consumer does not hold: already settled, or handed out by another consumer.
 * Nothing in the call was settled.
 */
export class UnknownDeliveryError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.UnknownDeliveryError');
  }

  readonly code = StreamErrorCode.UnknownDelivery;

  constructor(operation: 'ack' | 'requeue' | 'dead-letter', queue: string) {
    super(
      `cannot ${operation}: a delivery is not held unacknowledged by this consumer of ${JSON.stringify(queue)} ` +
        '(settled already, or from another consumer); nothing in the call was settled',
    );
  }
}

/** Consume from, or publish to, a queue that was never declared. Publishing never drops a message silently. */
export class UnknownQueueError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.UnknownQueueError');
  }

  readonly code = StreamErrorCode.UnknownQueue;
  readonly queue: string;

  constructor(operation: string, queue: string, options?: { cause?: unknown }) {
    super(`cannot ${operation}: no queue ${JSON.stringify(queue)} (declare it first)`, options);
    this.queue = queue;
  }
}

/** One message a publish refused: its index in the published array, and why. */
export interface RejectedMessage {
  readonly index: number;
  /** Why, in words: "headers too large to encode", "body of 200000000 bytes over the limit of 134217728", ... */
  readonly reason: string;
  /** The backend's own error, when there is one (an `UnknownQueueError` for an unroutable message). */
  readonly cause?: unknown;
}

/**
 * A publish refused particular messages (too large, headers that cannot be encoded, no route to their queue) and
 * stored every other one of the call durably. `rejected` lists the refused ones by index into the published array, in
 * ascending order; publishing the same bytes again would be refused again.
 */
export class MessagesRejectedError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.MessagesRejectedError');
  }

  readonly code = StreamErrorCode.MessagesRejected;
  readonly rejected: readonly RejectedMessage[];
  /** Messages in the call: `total - rejected.length` of them were stored. */
  readonly total: number;

  constructor(operation: string, rejected: readonly RejectedMessage[], total: number) {
    const sorted = [...rejected].sort((a, b) => a.index - b.index);
    const first = sorted[0];
    super(
      `${operation}: refused ${sorted.length} of ${total} messages, stored the others` +
        (first === undefined
          ? ''
          : ` (message ${first.index}: ${first.reason}` + (sorted.length > 1 ? ', ...)' : ')')),
    );
    this.rejected = sorted;
    this.total = total;
  }
}
