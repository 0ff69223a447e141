/**
 * The rules of a batch's end, apart from its I/O (batch-settlement.ts carries them out). Two pure steps:
 *
 *   planFailures     failed messages + retry policy + attempts -> retries (stored by the adapter, or held by the
 *                    node) and fail-queue copies published with the outputs
 *   planSettlement   the plan + what the publish and the retry store answered -> acks, deliveries given back,
 *                    fail-queue copies still to place, the batch's counts, and the stream error that stops the node
 *
 * The clock (`nowIso`) and the jitter (`random`) come in, so a plan is a function of its inputs. Deliveries are
 * unique across a plan: a delivery is processed (its outputs published), retried, or failed, never two of these.
 *
 * What a publish refusal (`MessagesRejectedError`) costs: a refused output fails the delivery it came from at step
 * `place` (non-retryable: the same bytes would be refused again), one fail-queue copy per delivery however many of
 * its outputs were refused; a refused fail-queue copy moves down the ladder of fail-placement.ts (next: trimmed); a
 * refused retry copy sends its delivery to the fail queue instead. Any other rejection is a stream failure: nothing of
 * that call is known to be stored, so what depended on it goes back to the queue and no attempt is burned.
 */
import { MessageRefusedError, MessagesRejectedError } from './errors.js';
import type { NodeInfo } from './definition.js';
import { Rung, failCopyMessage } from './fail-placement.js';
import type { FailCopy } from './fail-placement.js';
import { backoffDelayMs, retryHeaders, shouldRetry } from './failure-policy.js';
import type { MessageFailure } from './failure-policy.js';
import type { FailedMessage } from './batch-result.js';
import type { CompiledRetry } from './recipe.js';
import type { DelayedRetry, Delivery, OutgoingMessage } from './stream-adapter.js';

/** What decides a failed message's fate. */
export interface FailureRules {
  readonly retry: CompiledRetry;
  readonly failQueue: string;
  readonly node: NodeInfo;
  /** True when the adapter stores delayed retries itself (`DelayedRetryCapable`); else the node holds them. */
  readonly adapterRetries: boolean;
  /** Source of backoff jitter, in [0, 1). */
  readonly random: () => number;
  /** The time of the failure, in failure headers. */
  readonly nowIso: string;
}

/** A failed message to try again after `retry.delayMs`. */
export interface PlannedRetry {
  readonly retry: DelayedRetry;
  readonly failure: MessageFailure;
}

/** What to do with a batch's failed messages, before any I/O. */
export interface FailurePlan {
  /** The outputs (`[0, outputCount)`), then the fail-queue copy of each of `copies`, in order: one publish call. */
  readonly publishes: readonly OutgoingMessage[];
  readonly outputCount: number;
  /** Failed messages that go to the fail queue; `copies[k]` is published as `publishes[outputCount + k]`. */
  readonly copies: readonly FailCopy[];
  /** Every retry, in failure order (for the node to hold them, and for logs). */
  readonly retries: readonly PlannedRetry[];
  /** The retries the adapter stores (`retryLater`, in this order): all of them when it can, else none. */
  readonly delayed: readonly DelayedRetry[];
}

/**
 * Decides each failure: another attempt after a backoff when the policy allows it (attempts left, and retryable),
 * else a fail-queue copy. `outputs` is not changed: `publishes` is a new array when there are copies.
 */
export function planFailures(
  failures: readonly FailedMessage[],
  outputs: readonly OutgoingMessage[],
  rules: FailureRules,
): FailurePlan {
  const { retry, failQueue, node, nowIso } = rules;
  const copies: FailCopy[] = [];
  const copyMessages: OutgoingMessage[] = [];
  const retries: PlannedRetry[] = [];
  const delayed: DelayedRetry[] = [];
  for (const { delivery, failure } of failures) {
    if (shouldRetry(failure, delivery.attempt, retry)) {
      const planned: PlannedRetry = {
        retry: {
          delivery,
          delayMs: backoffDelayMs(delivery.attempt, retry, rules.random),
          headers: retryHeaders(failure, delivery, node, nowIso),
        },
        failure,
      };
      retries.push(planned);
      if (rules.adapterRetries) delayed.push(planned.retry);
    } else {
      const copy: FailCopy = { delivery, failure, rung: Rung.Full };
      copies.push(copy);
      copyMessages.push(failCopyMessage(copy, failQueue, node, nowIso));
    }
  }
  return {
    publishes: copyMessages.length === 0 ? outputs : [...outputs, ...copyMessages],
    outputCount: outputs.length,
    copies,
    retries,
    delayed,
  };
}

/** A plan for a batch where nothing failed: its outputs, nothing else. */
export function cleanPlan(outputs: readonly OutgoingMessage[]): FailurePlan {
  return { publishes: outputs, outputCount: outputs.length, copies: [], retries: [], delayed: [] };
}

/** The batch as the settlement sees it (a `BatchResult`). */
export interface SettledBatch {
  /** Messages processed (their outputs in `publishes[0, outputCount)`). */
  readonly processed: number;
  /** The deliveries done with once the outputs are durable (neither failed nor given back), in batch order. */
  readonly done: readonly Delivery[];
  /** Deliveries already to give back (the node was stopping when they ran). */
  readonly giveBack: readonly Delivery[];
  /** The delivery whose output is `publishes[index]`, for `index < outputCount`. */
  ownerOf(index: number): Delivery;
}

/** What a batch's messages count for, as `BatchOutcome` reports them (beside `requeued`). */
export interface SettleCounts {
  processed: number;
  failed: number;
  retried: number;
  published: number;
}

/** A delivery whose outputs the stream refused, with the reason (and cause) of its first refused output. */
export interface RefusedOutput {
  readonly delivery: Delivery;
  readonly reason: string;
  readonly cause: unknown;
}

/** What to do once the publish and the retry store answered. */
export interface Settlement {
  /** To ack now (their replacements are durable); the placed ones of `toPlace` are acked after them. */
  readonly acks: Delivery[];
  /** To give back to the queue untouched. */
  readonly giveBack: Delivery[];
  /** Fail-queue copies still to place, each at the rung to try (see fail-placement.ts). */
  readonly toPlace: FailCopy[];
  /** Deliveries failed because the stream refused their outputs (for logs; their copies are in `toPlace`). */
  readonly refused: readonly RefusedOutput[];
  readonly counts: SettleCounts;
  /** A stream failure of the publish or the retry store: the node stops once the batch is settled. */
  readonly streamError: unknown;
}

const FULFILLED: PromiseSettledResult<unknown> = { status: 'fulfilled', value: undefined };

/**
 * Settles the plan given the publish's answer (`published`: of `plan.publishes`) and the retry store's (`stored`: of
 * `plan.delayed`; fulfilled when there was nothing to store). See the file header for what a refusal costs.
 */
export function planSettlement(
  plan: FailurePlan,
  batch: SettledBatch,
  published: PromiseSettledResult<unknown>,
  stored: PromiseSettledResult<unknown> = FULFILLED,
): Settlement {
  const { outputCount, copies } = plan;
  const counts: SettleCounts = {
    processed: batch.processed,
    failed: copies.length,
    retried: plan.retries.length,
    published: 0,
  };
  let done = batch.done;
  let toPlace: FailCopy[] = [];
  let refused: readonly RefusedOutput[] = [];
  /** Indexes into `copies` of the copies the publish refused: they are placed again, a rung down. */
  let refusedCopies: ReadonlySet<number> = NONE;
  let publishError: unknown;
  if (published.status === 'fulfilled') {
    counts.published = outputCount;
  } else if (published.reason instanceof MessagesRejectedError) {
    const error = published.reason;
    refused = refusedOutputs(batch, error, outputCount);
    for (const { delivery, reason, cause } of refused) {
      const failure = {
        step: 'place' as const,
        error: new MessageRefusedError('an output', reason, { cause }),
      };
      toPlace.push({ delivery, failure, rung: Rung.Full });
    }
    counts.processed -= refused.length;
    counts.failed += refused.length;
    counts.published = outputCount - countBelow(error, outputCount);
    if (refused.length > 0) {
      const failedNow = new Set(refused.map((entry) => entry.delivery));
      done = done.filter((delivery) => !failedNow.has(delivery));
    }
    const indexes = new Set<number>();
    for (const { index } of error.rejected) {
      const copy = copies[index - outputCount];
      if (copy === undefined) continue;
      indexes.add(index - outputCount);
      toPlace.push({ delivery: copy.delivery, failure: copy.failure, rung: Rung.Trimmed });
    }
    refusedCopies = indexes;
  } else {
    publishError = published.reason ?? new Error('publish failed');
  }

  /** Retries whose copies are stored: acked once they are. */
  let retriedLater: readonly Delivery[] = plan.delayed.map((retry) => retry.delivery);
  let retryError: unknown;
  if (stored.status === 'rejected') {
    const error: unknown = stored.reason;
    if (error instanceof MessagesRejectedError) {
      // A retry copy refused (its headers cannot be encoded, say): the delivery goes to the fail queue instead.
      const refusedRetries = new Set<Delivery>();
      for (const { index, reason, cause } of error.rejected) {
        const retry = plan.delayed[index];
        if (retry === undefined) continue;
        refusedRetries.add(retry.delivery);
        const failure = {
          step: 'place' as const,
          error: new MessageRefusedError('a retry copy', reason, { cause }),
        };
        toPlace.push({ delivery: retry.delivery, failure, rung: Rung.Full });
      }
      retriedLater = retriedLater.filter((delivery) => !refusedRetries.has(delivery));
      counts.retried -= refusedRetries.size;
      counts.failed += refusedRetries.size;
    } else {
      retryError = error ?? new Error('retryLater failed');
    }
  }

  const giveBack = [...batch.giveBack];
  let acks: Delivery[];
  if (publishError === undefined) {
    acks = [...done];
    copies.forEach((copy, k) => {
      if (!refusedCopies.has(k)) acks.push(copy.delivery);
    });
    if (retryError === undefined) for (const delivery of retriedLater) acks.push(delivery);
  } else {
    // Nothing of the publish is known to be stored: the whole of it goes back.
    acks = retryError === undefined ? [...retriedLater] : [];
    for (const delivery of done) giveBack.push(delivery);
    for (const copy of copies) giveBack.push(copy.delivery);
    for (const copy of toPlace) giveBack.push(copy.delivery);
    toPlace = [];
  }
  if (retryError !== undefined) for (const delivery of retriedLater) giveBack.push(delivery);
  return { acks, giveBack, toPlace, refused, counts, streamError: publishError ?? retryError };
}

const NONE: ReadonlySet<number> = new Set();

/** The deliveries whose outputs among `publishes[0, outputCount)` were refused, one entry per delivery. */
function refusedOutputs(
  batch: SettledBatch,
  error: MessagesRejectedError,
  outputCount: number,
): RefusedOutput[] {
  const out: RefusedOutput[] = [];
  let last: Delivery | undefined;
  // `error.rejected` is sorted by index, and a delivery's outputs are contiguous: one entry per delivery.
  for (const { index, reason, cause } of error.rejected) {
    if (index >= outputCount) break;
    const delivery = batch.ownerOf(index);
    if (delivery === last) continue;
    last = delivery;
    out.push({ delivery, reason, cause });
  }
  return out;
}

function countBelow(error: MessagesRejectedError, end: number): number {
  let count = 0;
  for (const { index } of error.rejected) if (index < end) count += 1;
  return count;
}
