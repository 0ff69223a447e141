/**
 * What happens to a message that failed: retried after a backoff, or sent to the fail queue with headers that say
 * why. Pure functions of the failure, the delivery and the clock: the node decides, the adapter carries it out.
 */
import type { NodeInfo } from './definition.js';
import { describeError, errorName, isNonRetryable } from './errors.js';
import type { Step } from './errors.js';
import { Headers } from './headers.js';
import { InputValidationError } from './input-schema.js';
import type { CompiledRetry } from './recipe.js';
import type { Delivery, HeaderValue, MessageHeaders } from './stream-adapter.js';

/** Error messages in headers are cut to this many characters: headers are not for stack dumps. */
export const MAX_ERROR_MESSAGE_LENGTH = 4096;

/** One message's failure, as the batch executor records it. */
export interface MessageFailure {
  readonly step: Step;
  readonly error: unknown;
}

/** Whether a failure gets another attempt. */
export function shouldRetry(
  failure: MessageFailure,
  attempt: number,
  retry: CompiledRetry,
): boolean {
  return attempt < retry.maxAttempts && !isNonRetryable(failure.error);
}

/**
 * The delay before retrying after attempt `attempt` (1-based) failed: exponential from `initialDelayMs`, capped at
 * `maxDelayMs`, then spread by +-`jitter` with `random()` in [0, 1), and never above `maxDelayMs`.
 */
export function backoffDelayMs(
  attempt: number,
  retry: CompiledRetry,
  random: () => number,
): number {
  const exponential = retry.initialDelayMs * retry.multiplier ** Math.max(0, attempt - 1);
  const base = Math.min(retry.maxDelayMs, exponential);
  const spread = 1 + retry.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(retry.maxDelayMs, Math.round(base * spread)));
}

function failureFields(
  failure: MessageFailure,
  delivery: Delivery,
  node: NodeInfo,
  nowIso: string,
): Record<string, HeaderValue> {
  let message = describeError(failure.error);
  if (message.length > MAX_ERROR_MESSAGE_LENGTH)
    message = `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 3)}...`;
  const first = delivery.headers[Headers.FirstFailureAt];
  const fields: Record<string, HeaderValue> = {
    [Headers.ErrorMessage]: message,
    [Headers.ErrorName]: errorName(failure.error),
    [Headers.Step]: failure.step,
    [Headers.NodeType]: node.type,
    [Headers.NodeName]: node.name,
    [Headers.SourceQueue]: delivery.queue,
    [Headers.FirstFailureAt]: typeof first === 'string' ? first : nowIso,
    [Headers.LastFailureAt]: nowIso,
  };
  if (node.worker !== undefined) fields[Headers.Worker] = node.worker;
  if (failure.error instanceof InputValidationError)
    fields[Headers.ValidationIssues] = failure.error.issuesJson();
  return fields;
}

/** Headers of the retry copy: the next attempt, the failure times, and the last error (for whoever looks). */
export function retryHeaders(
  failure: MessageFailure,
  delivery: Delivery,
  node: NodeInfo,
  nowIso: string,
): MessageHeaders {
  const fields = failureFields(failure, delivery, node, nowIso);
  fields[Headers.Attempt] = delivery.attempt + 1;
  return fields;
}

/** Headers of the fail-queue copy: the original headers, overlaid with why and where it failed. */
export function failHeaders(
  failure: MessageFailure,
  delivery: Delivery,
  node: NodeInfo,
  nowIso: string,
): MessageHeaders {
  return {
    ...delivery.headers,
    ...failureFields(failure, delivery, node, nowIso),
    [Headers.Attempt]: delivery.attempt,
    [Headers.Attempts]: delivery.attempt,
    [Headers.NonRetryable]: isNonRetryable(failure.error),
  };
}
