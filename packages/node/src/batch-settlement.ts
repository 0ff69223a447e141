/**
 * The end of a batch: publish outputs and fail-queue copies, store delayed retries, then ack what is settled and
 * requeue what is not. Nothing is acked before what replaces it (outputs, a fail-queue copy, a retry copy) is durable.
 * This file is the I/O; what to publish, retry, ack and give back is decided by the pure rules of settle-plan.ts.
 *
 * A publish that refuses particular messages (`MessagesRejectedError`: too large, headers that cannot be encoded, no
 * route) costs only the deliveries they came from: those fail at step `place` (non-retryable: the same bytes would be
 * refused again) and go to the fail queue down the ladder of fail-placement.ts; every other delivery of the batch is
 * acked as usual, since its outputs were stored. Any other stream failure (publish, retry or ack rejects) requeues the
 * batch's unsettled messages, burns no attempt, and stops the node with a `StreamFailureError`.
 *
 * The clean batch (nothing failed) takes `settleClean`: one publish, one ack, no extra allocation.
 */
import { MessagesRejectedError, StreamFailureError, describeError } from './errors.js';
import type { NodeContext } from './definition.js';
import { UnplacedError, placeFailCopies } from './fail-placement.js';
import type { HeldRetries } from './held-retries.js';
import type { BatchOutcome } from './interceptors.js';
import type { Logger } from './logger.js';
import type { BatchResult } from './batch-result.js';
import type { NodeSpec } from './recipe.js';
import { cleanPlan, planFailures, planSettlement } from './settle-plan.js';
import type { SettledBatch, Settlement } from './settle-plan.js';
import type { DelayedRetryCapable, StreamAdapter, StreamConsumer } from './stream-adapter.js';

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
        const rejected = { status: 'rejected' as const, reason: error };
        return finish(
          env,
          consumer,
          planSettlement(cleanPlan(publishes), settledBatch(result), rejected),
        );
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

/**
 * A batch where something failed or was given back: the plan of settle-plan.ts decides each failure (retries are held
 * or stored, copies go with the outputs), then this publishes, stores, and settles what the answers leave.
 */
async function settleWithFailures(
  env: BatchEnvironment,
  size: number,
  result: BatchResult,
  consumer: StreamConsumer,
  order: PublishOrder | undefined,
): Promise<BatchOutcome> {
  const { spec, held, delayedRetry, logger } = env;
  const plan = planFailures(result.failures ?? [], result.publishes, {
    retry: spec.retry,
    failQueue: spec.failQueue,
    node: env.shared.node,
    adapterRetries: delayedRetry !== undefined,
    random: env.random,
    nowIso: new Date().toISOString(),
  });
  for (const { retry, failure } of plan.retries) {
    if (delayedRetry === undefined)
      (held as HeldRetries).hold(retry.delivery, retry.delayMs, retry.headers);
    logger.warn(
      {
        step: failure.step,
        attempt: retry.delivery.attempt,
        delayMs: retry.delayMs,
        error: describeError(failure.error),
      },
      'message failed; retrying later',
    );
  }
  for (const { delivery, failure } of plan.copies) {
    logger.warn(
      { step: failure.step, attempt: delivery.attempt, error: describeError(failure.error) },
      'message failed; sent to the fail queue',
    );
  }

  // Stopped past the drain timeout: the consumer is closed and the broker redelivers the batch; publishing now would
  // only make duplicates.
  if (env.abandoned()) {
    order?.published();
    return abandonedOutcome(size);
  }

  const publishing = Promise.allSettled([
    plan.publishes.length > 0 ? env.adapter.publish(plan.publishes) : undefined,
    plan.delayed.length > 0
      ? (delayedRetry as DelayedRetryCapable).retryLater(plan.delayed)
      : undefined,
  ]);
  order?.published();
  const [published, stored] = await publishing;
  if (env.abandoned()) return abandonedOutcome(size);
  return finish(env, consumer, planSettlement(plan, settledBatch(result), published, stored));
}

/** The batch result as the settle plan reads it. Only for a batch where something failed or was refused. */
function settledBatch(result: BatchResult): SettledBatch {
  return {
    processed: result.processed,
    done: result.done(),
    giveBack: result.giveBack ?? [],
    ownerOf: (index) => result.ownerOf(index),
  };
}

/** Places what is still to place, acks, requeues, and turns a stream error into the node's `StreamFailureError`. */
async function finish(
  env: BatchEnvironment,
  consumer: StreamConsumer,
  settlement: Settlement,
): Promise<BatchOutcome> {
  const { spec, shared, logger } = env;
  const node = shared.node;
  const { acks, giveBack, toPlace, counts } = settlement;
  for (const { reason } of settlement.refused)
    logger.warn({ reason }, 'the stream refused an output; its message goes to the fail queue');
  let error = settlement.streamError;
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
    processed: counts.processed,
    failed: counts.failed,
    retried: counts.retried,
    requeued: giveBack.length,
    published: counts.published,
  };
}

function abandonedOutcome(size: number): BatchOutcome {
  return { processed: 0, failed: 0, retried: 0, requeued: size, published: 0 };
}
