/**
 * What happens to a message that failed: retried after a backoff, or sent to the fail queue with headers that say
 * why. Pure functions of the failure, the delivery and the clock: the node decides, the adapter carries it out.
 */
import type { NodeInfo } from './definition.js';
import { describeError, errorName, isNonRetryable } from './errors.js';
import type { NodeStep } from './errors.js';
import { MonomythHeader } from './headers.js';
import { InputValidationError } from './input-schema.js';
import type { CompiledRetry } from './recipe.js';
import type { Delivery, HeaderValue, MessageHeaders } from './stream-adapter.js';

/** Error messages in headers are cut to this many characters: headers are not for stack dumps. */
export const MAX_ERROR_MESSAGE_LENGTH = 4096;

/** One message's failure, as the batch executor records it. */
export interface MessageFailure {
  readonly step: NodeStep;
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
  const first = delivery.headers[MonomythHeader.FirstFailureAt];
  const fields: Record<string, HeaderValue> = {
    [MonomythHeader.ErrorMessage]: message,
    [MonomythHeader.ErrorName]: errorName(failure.error),
    [MonomythHeader.Step]: failure.step,
    [MonomythHeader.NodeType]: node.type,
    [MonomythHeader.NodeName]: node.name,
    [MonomythHeader.SourceQueue]: delivery.queue,
    [MonomythHeader.FirstFailureAt]: typeof first === 'string' ? first : nowIso,
    [MonomythHeader.LastFailureAt]: nowIso,
  };
  if (node.worker !== undefined) fields[MonomythHeader.Worker] = node.worker;
  if (failure.error instanceof InputValidationError)
    fields[MonomythHeader.ValidationIssues] = failure.error.issuesJson();
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
  fields[MonomythHeader.Attempt] = delivery.attempt + 1;
  return fields;
}

/** Headers of the fail-queue copy: the original headers, overlaid with why and where it failed. */
export function failHeaders(
  failure: MessageFailure,
  delivery: Delivery,
  node: NodeInfo,
  nowIso: string,
): MessageHeaders {
  return { ...delivery.headers, ...failOwnFields(failure, delivery, node, nowIso) };
}

/** The fail-queue copy's own headers, without the original ones. */
function failOwnFields(
  failure: MessageFailure,
  delivery: Delivery,
  node: NodeInfo,
  nowIso: string,
): Record<string, HeaderValue> {
  const fields = failureFields(failure, delivery, node, nowIso);
  fields[MonomythHeader.Attempt] = delivery.attempt;
  fields[MonomythHeader.Attempts] = delivery.attempt;
  fields[MonomythHeader.NonRetryable] = isNonRetryable(failure.error);
  if (delivery.redelivered && delivery.redeliveryCount !== undefined)
    fields[MonomythHeader.Redeliveries] = delivery.redeliveryCount;
  return fields;
}

/**
 * The original headers a trimmed fail-queue copy keeps, in bytes (names and values as text): comfortably below what
 * any broker takes (amqplib encodes at most 64 KiB of headers), and plenty for ordinary headers.
 */
export const TRIMMED_HEADER_BUDGET = 16 * 1024;
/** The list of dropped header names is cut to this many characters. */
const MAX_DROPPED_LIST_LENGTH = 1024;

function headerSize(name: string, value: HeaderValue): number {
  return name.length + (typeof value === 'string' ? value.length : 8);
}

function droppedList(names: readonly string[]): string {
  const list = names.join(',');
  return list.length <= MAX_DROPPED_LIST_LENGTH
    ? list
    : `${list.slice(0, MAX_DROPPED_LIST_LENGTH - 3)}...`;
}

/**
 * Headers of a fail-queue copy trimmed to fit, for when the full copy was refused: the failure headers, and the
 * original headers that fit in `budget` bytes, the largest dropped first, with `x-monomyth-dropped-headers` naming
 * those left out.
 */
export function trimmedFailHeaders(
  failure: MessageFailure,
  delivery: Delivery,
  node: NodeInfo,
  nowIso: string,
  budget = TRIMMED_HEADER_BUDGET,
): MessageHeaders {
  const own = failOwnFields(failure, delivery, node, nowIso);
  const original = Object.entries(delivery.headers).filter(([name]) => !(name in own));
  let size = 0;
  for (const [name, value] of original) size += headerSize(name, value);
  original.sort((a, b) => headerSize(b[0], b[1]) - headerSize(a[0], a[1]));
  const dropped: string[] = [];
  let i = 0;
  while (size > budget && i < original.length) {
    const [name, value] = original[i++] as [string, HeaderValue];
    size -= headerSize(name, value);
    dropped.push(name);
  }
  const kept: Record<string, HeaderValue> = {};
  for (; i < original.length; i++) {
    const [name, value] = original[i] as [string, HeaderValue];
    kept[name] = value;
  }
  if (dropped.length > 0) own[MonomythHeader.DroppedHeaders] = droppedList(dropped);
  return { ...kept, ...own };
}

/**
 * Headers of a fail-queue copy without its body, the fallback when no copy with the body can be placed and the
 * adapter cannot dead-letter the original: the failure headers, every original header name in
 * `x-monomyth-dropped-headers`, and the dropped body's size in `x-monomyth-body-dropped`.
 */
export function bodylessFailHeaders(
  failure: MessageFailure,
  delivery: Delivery,
  node: NodeInfo,
  nowIso: string,
): MessageHeaders {
  const own = failOwnFields(failure, delivery, node, nowIso);
  const names = Object.keys(delivery.headers).filter((name) => !(name in own));
  if (names.length > 0) own[MonomythHeader.DroppedHeaders] = droppedList(names);
  own[MonomythHeader.BodyDropped] = delivery.body.byteLength;
  return own;
}
