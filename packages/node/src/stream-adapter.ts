/**
 * The StreamAdapter contract: what every stream backend (RabbitMQ, the in-memory adapter, a user's own) provides to
 * nodes. `@monomyth/testing/conformance` ships `runStreamAdapterConformance`, which checks every promise below.
 *
 * What an adapter owns. Its connections to the backend, and everything on them: channels, consumers, publisher
 * confirms, reconnection. Nodes never see a connection; they see queues, deliveries and promises.
 *
 * What it promises.
 * - Queues are durable and messages persistent: once `publish` resolves, the messages are in their queue (a count taken
 *   right after includes them) and survive the adapter, the process and (for a real broker) a broker restart.
 *   `publish` resolves only then, and rejects if any message could not be stored (some of the batch may have been;
 *   callers treat a rejected batch as not placed and retry or requeue).
 * - A refusal that belongs to particular messages (too large for the backend, headers it cannot encode, no route to
 *   their queue) is theirs alone: `publish` skips them, stores every other message of the call durably, and then
 *   rejects with `MessagesRejectedError`, whose `rejected` lists the refused ones by index and says why. Callers treat
 *   the others as placed. Sending the same bytes again would be refused again, so nobody retries them as they are.
 * - Order within a queue: messages published to one queue by one caller are delivered in that order, apart from
 *   redeliveries. (Across publish calls that overlap, call order is kept where the backend allows it: the in-memory
 *   adapter always, RabbitMQ in practice.)
 * - A consumer never holds more than `maxUnacked` deliveries unacknowledged (handed out, or prefetched for handing
 *   out); `nextBatch` never polls: it wakes on arrival, on its timeout, or on its signal.
 * - Several batches at once (a node's `batchesInFlight`): a consumer hands out a new batch while earlier ones are
 *   unsettled, up to `maxUnacked`, and takes settle calls that overlap (the next `ack` may start before the previous
 *   one resolved); `publish` takes a call while earlier ones still wait for durability (other nodes, held retries),
 *   and each call resolves on its own messages. A node settles its batches in delivery order and publishes in batch
 *   order: through the adapter's `publishLane()` when it is `OrderedPublishCapable` (calls overlap), else one call at
 *   a time (the batches that got ready meanwhile together).
 * - A delivery is settled exactly once, by `ack` (done with) or `requeue` (back to its queue, `redelivered`). A
 *   delivery left unsettled when its consumer or adapter closes, or the process dies, goes back to its queue and is
 *   delivered again: nothing is dropped.
 * - The attempt count travels in the `x-monomyth-attempt` header (see `MonomythHeader.Attempt`), so it survives brokers and
 *   processes; `Delivery.attempt` reads it (1 when absent). Requeueing and redelivery do not change it.
 * - Closing drains: once `close()` begins, `declareQueue` and `consume` reject with `AdapterClosedError` and consumers
 *   hand out nothing new (not even to a `nextBatch` already waiting when `close()` was called, which resolves empty
 *   at its signal or rejects with `ConsumerClosedError`), while `publish`, `ack` and `requeue` keep working until the
 *   drain ends, so work in flight can finish. Once `close()` resolves, every operation rejects: adapter operations
 *   with `AdapterClosedError`, consumer operations with `ConsumerClosedError`. Before `open()`, with
 *   `AdapterClosedError`. Never a hang, never a silent no-op.
 *
 * What it must never do.
 * - Drop a message silently: publishing to an undeclared queue rejects with `UnknownQueueError`.
 * - Acknowledge on its own (auto-ack), or settle a delivery the caller did not settle.
 * - Resolve `publish` before the messages are durable.
 * - Decode or inspect bodies: bodies are bytes at this boundary; codecs live in the node.
 * - Log to the console or install signal handlers: it takes an injected logger, and only apps handle signals.
 *
 * Optional capabilities (`DelayedRetryCapable`, `QueueStatsCapable`, `ConnectionStateCapable`,
 * `OrderedPublishCapable`, `FailedMessagesCapable` (failed-messages.ts: for the operator's fail-queue tooling) on the
 * adapter,
 * `DeadLetterCapable` on its
 * consumers) are separate small interfaces; nodes test for them with the `is*` guards and fall back when an adapter
 * lacks them.
 */

/** A header value: what every backend can carry and give back unchanged. */
export type HeaderValue = string | number | boolean;

/** Message headers. Names starting `x-monomyth-` are Monomyth's own (see `MonomythHeader`). */
export type MessageHeaders = Readonly<Record<string, HeaderValue>>;

/** A message handed to a consumer. Adapters may attach their own fields (a delivery tag); callers pass it back as is. */
export interface Delivery {
  /** The queue it was consumed from. */
  readonly queue: string;
  /** The body, as published. Treat it as read-only. */
  readonly body: Uint8Array;
  readonly headers: MessageHeaders;
  /** The processing attempt this delivery stands for, from the `x-monomyth-attempt` header: 1 when absent. */
  readonly attempt: number;
  /** True when this message was handed out before and came back (requeued, or its consumer went away). */
  readonly redelivered: boolean;
  /**
   * How many times this message was handed out before and came back, when the adapter knows (RabbitMQ's
   * `x-delivery-count` on quorum queues, a count the adapter keeps otherwise); absent when it does not, and may be
   * absent on a first delivery. Nodes read it only when `redelivered` is set, to stop a message that keeps crashing
   * whoever runs it (`maxRedeliveries`).
   */
  readonly redeliveryCount?: number;
}

/** A message to publish. */
export interface OutgoingMessage {
  /** The queue to put it on (declared before). */
  readonly queue: string;
  /** The body bytes. The adapter may keep a reference: do not modify the array after publishing. */
  readonly body: Uint8Array;
  readonly headers?: MessageHeaders;
}

export interface ConsumeOptions {
  /**
   * The most deliveries this consumer holds unacknowledged at once: handed out by `nextBatch` (or prefetched for it)
   * and not yet settled. A whole number, at least 1. For RabbitMQ this is the channel's prefetch.
   */
  readonly maxUnacked: number;
  /**
   * The consuming node's fail queue (declared before): where `DeadLetterCapable.deadLetter` puts the messages it is
   * given. Adapters that dead-letter on the broker set up the route at `consume`.
   */
  readonly failQueue?: string;
}

export interface NextBatchOptions {
  /** The most deliveries to return: a whole number, at least 1. */
  readonly max: number;
  /**
   * Once the first delivery of the batch is there, how long to wait for the batch to fill before returning it partial.
   * While nothing has arrived, `nextBatch` waits without limit (until `signal`): an idle consumer costs nothing.
   */
  readonly timeoutMs: number;
  /** Aborting it makes `nextBatch` resolve at once with the deliveries gathered so far (possibly none). */
  readonly signal?: AbortSignal;
}

/**
 * A consumer of one queue, opened by `StreamAdapter.consume`. It serves one `nextBatch` at a time; settling
 * (`ack`, `requeue`) may happen at any time, concurrently with a pending `nextBatch`.
 */
export interface StreamConsumer {
  readonly queue: string;
  /**
   * Resolves with 1 to `max` deliveries, in queue order: as soon as `max` are there, or `timeoutMs` after the first one
   * arrived. Resolves with what it has (possibly nothing) when `signal` aborts. The deliveries are unacknowledged
   * until settled. Rejects with `ConsumerClosedError` if the consumer closes while it waits, `ConsumerBusyError` if
   * another `nextBatch` is pending.
   */
  nextBatch(options: NextBatchOptions): Promise<Delivery[]>;
  /**
   * Acknowledges many deliveries at once: they are done with and will not come back. Resolves when the backend took
   * the acknowledgement. Rejects with `UnknownDeliveryError`, settling none, if any delivery is not held by this
   * consumer (settled already, say).
   */
  ack(deliveries: readonly Delivery[]): Promise<void>;
  /**
   * Returns deliveries to the head of their queue, in their order, to be delivered again with `redelivered` set and
   * their attempt count unchanged. Rejects like `ack` for deliveries this consumer does not hold.
   */
  requeue(deliveries: readonly Delivery[]): Promise<void>;
  /**
   * Stops consuming. Deliveries still unsettled go back to the queue (redelivered). A pending `nextBatch` rejects with
   * `ConsumerClosedError`. Idempotent.
   */
  close(): Promise<void>;
}

export interface AdapterCloseOptions {
  /**
   * How long to drain before closing: the adapter stops handing out deliveries and waits, up to this long, for the
   * deliveries in consumers' hands to be settled and for publishes in progress to become durable. Then it closes;
   * what is still unsettled goes back to its queue. Default 0: close at once.
   */
  readonly drainTimeoutMs?: number;
}

/** The contract. See this file's header for what an adapter owns, promises, and must never do. */
export interface StreamAdapter {
  /** Connects. Resolves when ready; rejects if the backend cannot be reached. Idempotent while open. */
  open(): Promise<void>;
  /**
   * Drains (see `AdapterCloseOptions`), then closes its consumers and connections. Idempotent: a second call returns
   * the first call's promise. Once it resolves, every operation rejects (see the header for what works while
   * draining).
   */
  close(options?: AdapterCloseOptions): Promise<void>;
  /** Declares a durable queue; declaring an existing queue again is a no-op. */
  declareQueue(queue: string): Promise<void>;
  /** Starts consuming a declared queue. Rejects with `UnknownQueueError` for a queue never declared. */
  consume(queue: string, options: ConsumeOptions): Promise<StreamConsumer>;
  /**
   * Publishes a batch, possibly to several queues. Resolves once every message is durable; rejects otherwise
   * (`UnknownQueueError`, storing nothing, when a queue was never declared). Order is kept per queue. Messages the
   * backend refuses on their own account are skipped and the rest stored: it then rejects with
   * `MessagesRejectedError` naming them (see the header).
   */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
}

/**
 * Optional consumer capability: the last resort for a message whose fail-queue copy cannot be published (its body is
 * too large to send again, say). `deadLetter` settles the deliveries by having the backend move each original, as
 * stored and without re-encoding it, onto the consumer's `ConsumeOptions.failQueue` (RabbitMQ: `basic.nack` without
 * requeue, on a source queue declared with a dead-letter exchange that the fail queue is bound to). It resolves when
 * the backend took them; they do not come back to their queue. It rejects like `ack` for deliveries the consumer does
 * not hold, and with a `TypeError` on a consumer opened without a `failQueue`.
 *
 * Without it, a node places a copy without the body (`x-monomyth-body-dropped` says how many bytes were dropped) and
 * logs an error: the failure is recorded, the body is lost.
 */
export interface DeadLetterCapable {
  deadLetter(deliveries: readonly Delivery[]): Promise<void>;
}

/** True when the consumer can have the backend move deliveries to its fail queue (see `DeadLetterCapable`). */
export function isDeadLetterCapable<C extends StreamConsumer>(
  consumer: C,
): consumer is C & DeadLetterCapable {
  return typeof (consumer as Partial<DeadLetterCapable>).deadLetter === 'function';
}

/** One message to bring back later: see `DelayedRetryCapable`. */
export interface DelayedRetry {
  /** The delivery to retry. It stays unacknowledged: the caller acks it after `retryLater` resolves. */
  readonly delivery: Delivery;
  /** How long the copy stays away before it is on `delivery.queue` again. */
  readonly delayMs: number;
  /** Headers of the copy: `delivery.headers` overlaid with these (the caller sets the next attempt here). */
  readonly headers: MessageHeaders;
}

/**
 * Optional capability: delayed retry without holding anything. `retryLater` stores a copy of each delivery (its body,
 * its headers overlaid with the given ones) that reappears on the delivery's queue after its delay. It resolves once
 * every copy is durable; it does not settle the originals, which the caller acks with the rest of its batch. The copy
 * survives the adapter closing (RabbitMQ: a retry queue whose message TTL dead-letters back to the source).
 *
 * Without it, a node holds the original unacknowledged for the delay and then republishes it (see the guide "Writing
 * a stream adapter" for the trade-off).
 */
export interface DelayedRetryCapable {
  retryLater(retries: readonly DelayedRetry[]): Promise<void>;
}

/** A queue's counts at one moment. */
export interface QueueStats {
  /** Messages waiting to be handed out. */
  readonly ready: number;
  /** Messages handed out (or prefetched) and not yet settled. */
  readonly unacked: number;
  /** Consumers attached. */
  readonly consumers: number;
}

/** Optional capability: queue counts, for monitoring and for tests. */
export interface QueueStatsCapable {
  /** Rejects with `UnknownQueueError` for a queue never declared. */
  queueStats(queue: string): Promise<QueueStats>;
}

/**
 * Optional capability: whether the adapter is connected to its backend now, for health checks (a worker's `/ready`).
 * False while it has lost its backend and is reconnecting; an adapter without it is taken as connected while open.
 */
export interface ConnectionStateCapable {
  readonly connected: boolean;
}

/**
 * A caller's own ordered way to publish: see `OrderedPublishCapable`. `publish` is `StreamAdapter.publish` (same
 * durability, same refusals, same errors) with one promise more: messages of calls made one after the other are
 * stored in call order per queue, even when a call is made before the one before it resolved.
 */
export interface PublishLane {
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * No more calls will come: the lane frees what it holds (a channel) once the calls in flight have settled. Those
   * still resolve or reject as they would have. A call after `close` is published like `StreamAdapter.publish`.
   */
  close(): void;
}

/**
 * Optional capability: publishes that overlap and keep their order. A node with several batches in flight publishes
 * through a lane of its own, so the next batch's outputs go out while the last batch's still wait for durability
 * (on RabbitMQ, while its confirms are on their way) instead of after them.
 *
 * The order holds where the backend stores what it was sent: messages it declined and that are sent again (RabbitMQ:
 * nacked, sent again after a backoff) may land behind later calls' messages, and after a lost connection the calls
 * in flight are sent again in call order, possibly duplicating what was stored (at-least-once).
 *
 * Without it, a node sends its batches' publishes one call at a time, those that got ready meanwhile together: the
 * same order, but one durability round trip at a time.
 */
export interface OrderedPublishCapable {
  publishLane(): PublishLane;
}

/** True when the adapter offers ordered lanes whose calls overlap (see `OrderedPublishCapable`). */
export function isOrderedPublishCapable<A extends StreamAdapter>(
  adapter: A,
): adapter is A & OrderedPublishCapable {
  return typeof (adapter as Partial<OrderedPublishCapable>).publishLane === 'function';
}

/** True when the adapter can retry later without holding the original (see `DelayedRetryCapable`). */
export function isDelayedRetryCapable<A extends StreamAdapter>(
  adapter: A,
): adapter is A & DelayedRetryCapable {
  return typeof (adapter as Partial<DelayedRetryCapable>).retryLater === 'function';
}

/** True when the adapter reports queue counts (see `QueueStatsCapable`). */
export function isQueueStatsCapable<A extends StreamAdapter>(
  adapter: A,
): adapter is A & QueueStatsCapable {
  return typeof (adapter as Partial<QueueStatsCapable>).queueStats === 'function';
}

/** True when the adapter reports whether it is connected (see `ConnectionStateCapable`). */
export function isConnectionStateCapable<A extends StreamAdapter>(
  adapter: A,
): adapter is A & ConnectionStateCapable {
  return typeof (adapter as Partial<ConnectionStateCapable>).connected === 'boolean';
}
