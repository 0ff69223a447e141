/**
 * The end of a batch: publish outputs and fail-queue copies, store delayed retries, then ack what is settled and
 * requeue what is not. Nothing is acked before what replaces it (outputs, a fail-queue copy, a retry copy) is durable.
 *
 * A publish that refuses particular messages (`MessagesRejectedError`: too large, headers that cannot be encoded, no
 * route) costs only the deliveries they came from: those fail at step `place` (non-retryable: the same bytes would be
 * refused again) and go to the fail queue down the ladder of fail-placement.ts; every other delivery of the batch is
 * acked as usual, since its outputs were stored. Any other stream failure (publish, retry or ack rejects) requeues the
 * batch's unsettled messages, burns no attempt, and stops the node with a `StreamFailureError`.
 *
 * The clean batch (nothing failed) takes `settleClean`: one publish, one ack, no extra allocation.
 */
import {
  MessageRefusedError,
  MessagesRejectedError,
  StreamFailureError,
  describeError,
} from './errors.js';
import type { NodeContext } from './definition.js';
import { Rung, UnplacedError, failCopyMessage, placeFailCopies } from './fail-placement.js';
import type { FailCopy } from './fail-placement.js';
import { backoffDelayMs, retryHeaders, shouldRetry } from './failure-policy.js';
import type { HeldRetries } from './held-retries.js';
import type { BatchOutcome } from './interceptors.js';
import type { Logger } from './logger.js';
import type { BatchResult } from './batch-result.js';
import type { NodeSpec } from './recipe.js';
import type {
  DelayedRetry,
  DelayedRetryCapable,
  Delivery,
  StreamAdapter,
  StreamConsumer,
} from './stream-adapter.js';

export interface BatchEnvironment {
  readonly spec: NodeSpec;
  readonly adapter: StreamAdapter;
  /** The adapter, when it can retry later without the node holding anything. */
  readonly delayedRetry: DelayedRetryCapable | undefined;
  /** Retries held by the node when the adapter cannot retry later. */
  readonly held: HeldRetries | undefined;
  readonly shared: NodeContext;
  readonly logger: Logger;
  readonly random: () => number;
  /** True once the node was told to stop now: failures then are the stop's doing, not the message's. */
  readonly aborted: () => boolean;
  /** True once the node gave up on its batch in flight (stopped past its drain timeout): settle nothing. */
  readonly abandoned: () => boolean;
  /** Told of a stream failure before the batch requeues what it holds, so the node stops pulling first. */
  readonly streamFailed: (error: unknown) => void;
}

/** A batch's place among overlapped batches: it publishes after the batch before it did (see batch-pipeline.ts). */
export interface PublishOrder {
  /** Undefined when the batch may publish now; else resolves when it may. */
  beforePublish(): Promise<void> | undefined;
  /** The batch called `publish`, or has nothing to publish. */
  published(): void;
}

/** Publishes, stores retries, acks and requeues for one batch; see the file header. */
export function settleBatch(
  env: BatchEnvironment,
  size: number,
  result: BatchResult,
  consumer: StreamConsumer,
  order?: PublishOrder,
): Promise<BatchOutcome> {
  if (order !== undefined) {
    const wait = order.beforePublish();
    if (wait !== undefined) return wait.then(() => settleBatch(env, size, result, consumer, order));
  }
  return result.failures === undefined && result.giveBack === undefined
    ? settleClean(env, size, result, consumer, order)
    : settleWithFailures(env, size, result, consumer, order);
}

/** `settleWithFailures` for the usual batch, where every message succeeded: publish, then ack. */
async function settleClean(
  env: BatchEnvironment,
  size: number,
  result: BatchResult,
  consumer: StreamConsumer,
  order: PublishOrder | undefined,
): Promise<BatchOutcome> {
  const { publishes } = result;
  const placed = result.done();
  if (env.abandoned()) {
    order?.published();
    return abandonedOutcome(size);
  }
  if (publishes.length > 0) {
    try {
      const confirmed = env.adapter.publish(publishes);
      order?.published();
      await confirmed;
    } catch (error) {
      if (env.abandoned()) return abandonedOutcome(size);
      // Some outputs refused, the rest stored: only the deliveries they came from fail.
      if (error instanceof MessagesRejectedError) {
        const refused = refusedOutputs(env, result, error, publishes.length);
        const tally = new Tally(result);
        tally.refused(refused.length, publishes.length - error.rejected.length);
        const failedNow = new Set(refused.map((copy) => copy.delivery));
        const acks = placed.filter((delivery) => !failedNow.has(delivery));
        return finish(env, consumer, tally, acks, [], refused, undefined);
      }
      env.streamFailed(error);
      await consumer.requeue(placed).catch(() => {});
      throw new StreamFailureError(
        'place',
        env.shared.node.name,
        error ?? new Error('publish failed'),
      );
    }
    if (env.abandoned()) return abandonedOutcome(size);
  } else {
    order?.published();
  }
  try {
    await consumer.ack(placed);
  } catch (error) {
    throw new StreamFailureError('place', env.shared.node.name, error);
  }
  return {
    processed: result.processed,
    failed: 0,
    retried: 0,
    requeued: 0,
    published: publishes.length,
  };
}

async function settleWithFailures(
  env: BatchEnvironment,
  size: number,
  result: BatchResult,
  consumer: StreamConsumer,
  order: PublishOrder | undefined,
): Promise<BatchOutcome> {
  const { spec, shared, held, delayedRetry, logger } = env;
  const node = shared.node;
  const nowIso = new Date().toISOString();
  const { publishes } = result;
  const outputCount = publishes.length;
  const tally = new Tally(result);
  /** Acked once their retry copies are durable. */
  let retriedLater: Delivery[] = [];
  const retries: DelayedRetry[] = [];
  const giveBack: Delivery[] = result.giveBack ?? [];
  /** Fail-queue copies published with the outputs. */
  const copies: FailCopy[] = [];

  for (const { delivery, failure } of result.failures ?? []) {
    if (shouldRetry(failure, delivery.attempt, spec.retry)) {
      const delayMs = backoffDelayMs(delivery.attempt, spec.retry, env.random);
      const headers = retryHeaders(failure, delivery, node, nowIso);
      if (delayedRetry !== undefined) {
        retries.push({ delivery, delayMs, headers });
        retriedLater.push(delivery);
      } else {
        (held as HeldRetries).hold(delivery, delayMs, headers);
      }
      tally.retried += 1;
      logger.warn(
        {
          step: failure.step,
          attempt: delivery.attempt,
          delayMs,
          error: describeError(failure.error),
        },
        'message failed; retrying later',
      );
    } else {
      const copy: FailCopy = { delivery, failure, rung: Rung.Full };
      copies.push(copy);
      publishes.push(failCopyMessage(copy, spec.failQueue, node, nowIso));
      tally.failed += 1;
      logger.warn(
        { step: failure.step, attempt: delivery.attempt, error: describeError(failure.error) },
        'message failed; sent to the fail queue',
      );
    }
  }

  // Stopped past the drain timeout: the consumer is closed and the broker redelivers the batch; publishing now would
  // only make duplicates.
  if (env.abandoned()) {
    order?.published();
    return abandonedOutcome(size);
  }

  const publishing = Promise.allSettled([
    publishes.length > 0 ? env.adapter.publish(publishes) : undefined,
    retries.length > 0 ? (delayedRetry as DelayedRetryCapable).retryLater(retries) : undefined,
  ]);
  order?.published();
  const [published, stored] = await publishing;
  if (env.abandoned()) return abandonedOutcome(size);

  let placed = result.done();
  /** Copies still to place: refused in the publish (next rung), or of deliveries whose outputs were refused. */
  let toPlace: FailCopy[] = [];
  let publishError: unknown;
  if (published.status === 'rejected') {
    const error: unknown = published.reason;
    if (error instanceof MessagesRejectedError) {
      toPlace = refusedOutputs(env, result, error, outputCount);
      tally.refused(toPlace.length, outputCount - countBelow(error, outputCount));
      const failedNow = new Set(toPlace.map((copy) => copy.delivery));
      placed = placed.filter((delivery) => !failedNow.has(delivery));
      for (const { index } of error.rejected) {
        const copy = copies[index - outputCount];
        if (copy === undefined) continue;
        copy.rung = Rung.Trimmed;
        toPlace.push(copy);
      }
    } else {
      publishError = error ?? new Error('publish failed');
    }
  } else {
    tally.published = outputCount;
  }

  let retryError: unknown;
  if (stored.status === 'rejected') {
    const error: unknown = stored.reason;
    if (error instanceof MessagesRejectedError) {
      // A retry copy refused (its headers cannot be encoded, say): the delivery goes to the fail queue instead.
      const refused = new Set<Delivery>();
      for (const { index, reason, cause } of error.rejected) {
        const retry = retries[index];
        if (retry === undefined) continue;
        refused.add(retry.delivery);
        const failure = {
          step: 'place' as const,
          error: new MessageRefusedError('a retry copy', reason, { cause }),
        };
        toPlace.push({ delivery: retry.delivery, failure, rung: Rung.Full });
      }
      retriedLater = retriedLater.filter((delivery) => !refused.has(delivery));
      tally.retried -= refused.size;
      tally.failed += refused.size;
    } else {
      retryError = error ?? new Error('retryLater failed');
    }
  }

  let acks: Delivery[];
  if (publishError === undefined) {
    acks = placed;
    const pending = new Set(toPlace);
    for (const copy of copies) if (!pending.has(copy)) acks.push(copy.delivery);
    if (retryError === undefined) for (const delivery of retriedLater) acks.push(delivery);
  } else {
    // Nothing of the publish is known to be stored: the whole of it goes back.
    acks = retryError === undefined ? retriedLater : [];
    for (const delivery of placed) giveBack.push(delivery);
    for (const copy of copies) giveBack.push(copy.delivery);
    for (const copy of toPlace) giveBack.push(copy.delivery);
    toPlace = [];
  }
  if (retryError !== undefined) for (const delivery of retriedLater) giveBack.push(delivery);
  return finish(env, consumer, tally, acks, giveBack, toPlace, publishError ?? retryError);
}

/** The fail copies (at the first rung) of the deliveries whose outputs among `publishes[0 .. outputCount)` were refused. */
function refusedOutputs(
  env: BatchEnvironment,
  result: BatchResult,
  error: MessagesRejectedError,
  outputCount: number,
): FailCopy[] {
  const copies: FailCopy[] = [];
  let last: Delivery | undefined;
  for (const { index, reason, cause } of error.rejected) {
    if (index >= outputCount) break;
    const delivery = result.ownerOf(index);
    // One copy per delivery, however many of its outputs were refused (indexes are ascending, outputs contiguous).
    if (delivery === last) continue;
    last = delivery;
    const failure = {
      step: 'place' as const,
      error: new MessageRefusedError('an output', reason, { cause }),
    };
    copies.push({ delivery, failure, rung: Rung.Full });
    env.logger.warn({ reason }, 'the stream refused an output; its message goes to the fail queue');
  }
  return copies;
}

function countBelow(error: MessagesRejectedError, end: number): number {
  let count = 0;
  for (const { index } of error.rejected) if (index < end) count += 1;
  return count;
}

/** What became of the batch, for its outcome. */
class Tally {
  processed: number;
  failed = 0;
  retried = 0;
  published = 0;

  constructor(result: BatchResult) {
    this.processed = result.processed;
  }

  /** `deliveries` processed ones failed because outputs were refused; `storedOutputs` outputs were stored. */
  refused(deliveries: number, storedOutputs: number): void {
    this.processed -= deliveries;
    this.failed += deliveries;
    this.published = storedOutputs;
  }
}

/** Places what is still to place, acks, requeues, and turns a stream error into the node's `StreamFailureError`. */
async function finish(
  env: BatchEnvironment,
  consumer: StreamConsumer,
  tally: Tally,
  acks: Delivery[],
  giveBack: Delivery[],
  toPlace: FailCopy[],
  streamError: unknown,
): Promise<BatchOutcome> {
  const { spec, shared, logger } = env;
  const node = shared.node;
  let error = streamError;
  if (error !== undefined) env.streamFailed(error);
  if (toPlace.length > 0) {
    const placement = { adapter: env.adapter, failQueue: spec.failQueue, node, logger };
    try {
      for (const delivery of await placeFailCopies(
        placement,
        consumer,
        toPlace,
        new Date().toISOString(),
      ))
        acks.push(delivery);
    } catch (placementError) {
      if (!(placementError instanceof UnplacedError)) throw placementError;
      for (const delivery of placementError.placed) acks.push(delivery);
      for (const delivery of placementError.unplaced) giveBack.push(delivery);
      error ??= placementError.cause ?? placementError;
      env.streamFailed(error);
    }
  }
  try {
    if (acks.length > 0) await consumer.ack(acks);
    if (giveBack.length > 0) await consumer.requeue(giveBack);
  } catch (settleError) {
    throw new StreamFailureError('place', node.name, settleError);
  }
  if (error !== undefined) throw new StreamFailureError('place', node.name, error);
  return {
    processed: tally.processed,
    failed: tally.failed,
    retried: tally.retried,
    requeued: giveBack.length,
    published: tally.published,
  };
}

function abandonedOutcome(size: number): BatchOutcome {
  return { processed: 0, failed: 0, retried: 0, requeued: size, published: 0 };
}
