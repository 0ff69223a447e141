/**
 * What every conformance case shares: a way to connect adapters (closed after each test), unique queue names, and a
 * few helpers that wait for deliveries without sleeping.
 */
import type {
  Delivery,
  MessageHeaders,
  StreamAdapter,
  StreamConsumer,
} from '@monomyth/node/adapter';

/**
 * Makes a new adapter, not yet opened. Every adapter it makes in one run must reach the same backend (the same broker,
 * the same in-memory `MemoryBroker`): the suite checks durability by publishing through one adapter and reading
 * through another.
 */
export type StreamAdapterFactory = () => StreamAdapter | Promise<StreamAdapter>;

export interface ConformanceOptions {
  /**
   * How long to wait for deliveries that must arrive; a slow broker may need more.
   * @default 5000
   */
  readonly deliveryTimeoutMs?: number;
  /**
   * How long to watch for deliveries that must not arrive (past an unacked bound, after an ack). Longer catches more;
   * shorter runs faster.
   * @default 200
   */
  readonly quietMs?: number;
  /**
   * A message (body and headers) the adapter refuses for itself: too large for it, or with headers it cannot encode.
   * With it, the suite checks that a publish names such messages (`MessagesRejectedError`) and stores the others;
   * without it, those cases are reported as skipped.
   */
  readonly refusedMessage?: () => { readonly body: Uint8Array; readonly headers?: MessageHeaders };
}

export interface ConformanceContext {
  readonly deliveryTimeoutMs: number;
  readonly quietMs: number;
  readonly refusedMessage: ConformanceOptions['refusedMessage'];
  /** A new adapter from the factory, opened, and closed after the test. */
  connect(): Promise<StreamAdapter>;
  /** A new adapter from the factory, not opened, and closed after the test. */
  connectUnopened(): Promise<StreamAdapter>;
  /** A queue name unique to this run and test. */
  queue(name: string): string;
  /** Declares a fresh queue on `adapter` and returns its name. */
  freshQueue(adapter: StreamAdapter, name?: string): Promise<string>;
  /**
   * Connects a new adapter, declares a fresh queue, publishes `values` to it as texts, and opens a consumer of it with
   * `maxUnacked`: where most delivery cases begin.
   */
  consumerOfTexts(
    values: readonly string[],
    maxUnacked: number,
  ): Promise<{ adapter: StreamAdapter; queue: string; consumer: StreamConsumer }>;
}

/** Why a case is skipped: the skip note of a case for a capability the adapter does not have. */
export const Lacks = {
  retryLater: 'the adapter is not DelayedRetryCapable (no retryLater)',
  queueStats: 'the adapter is not QueueStatsCapable (no queueStats)',
  publishLane: 'the adapter is not OrderedPublishCapable (no publishLane)',
  deadLetter: 'the consumer is not DeadLetterCapable (no deadLetter)',
  redeliveryCount: 'the adapter reports no redeliveryCount',
  refusedMessage: 'no refusedMessage in the conformance options',
  failedMessages:
    'the adapter is not FailedMessagesCapable (no countMessages, peekMessages, moveMessages, purgeMessages)',
} as const;

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

export function bodies(values: readonly string[]): Uint8Array[] {
  return values.map((value) => encoder.encode(value));
}

export function texts(deliveries: readonly Delivery[]): string[] {
  return deliveries.map((delivery) => decoder.decode(delivery.body));
}

/** Publishes each text as one message to `queue`. */
export async function publishTexts(
  adapter: StreamAdapter,
  queue: string,
  values: readonly string[],
): Promise<void> {
  await adapter.publish(values.map((value) => ({ queue, body: encoder.encode(value) })));
}

/**
 * Pulls until `count` deliveries have arrived (never more: each pull asks for what is missing), without settling
 * them. Fails when they do not all arrive within `timeoutMs`.
 */
export async function pullExactly(
  consumer: StreamConsumer,
  count: number,
  timeoutMs: number,
): Promise<Delivery[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const got: Delivery[] = [];
  while (got.length < count) {
    const batch = await consumer.nextBatch({ max: count - got.length, timeoutMs: 10, signal });
    got.push(...batch);
    if (signal.aborted && got.length < count) {
      throw new Error(
        `expected ${count} deliveries from ${consumer.queue} within ${timeoutMs} ms, got ${got.length}`,
      );
    }
  }
  return got;
}

/** Pulls for `ms` and returns whatever came: the way to check that nothing arrives. */
export async function pullFor(
  consumer: StreamConsumer,
  max: number,
  ms: number,
): Promise<Delivery[]> {
  return consumer.nextBatch({ max, timeoutMs: ms, signal: AbortSignal.timeout(ms) });
}

/** The rejection of `promise`, or a failure if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to reject, but it resolved');
}

/** The item at `index`, failing clearly when there is none. */
export function at<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined)
    throw new Error(`expected an item at index ${index}, but there are ${list.length}`);
  return item;
}
