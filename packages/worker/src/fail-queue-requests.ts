/**
 * The worker's side of FAIL-QUEUE: the master asks, on an operator's behalf, to inspect, redrive or purge a node
 * type's fail queue, and the worker does it through its stream adapter (`FailedMessagesCapable`). The worker needs
 * the type's recipe (for its fail queue and its source queue) and an adapter with the capability; it answers
 * FAIL-QUEUE-FAILURE with a code otherwise. Nothing here runs on the message path.
 */
import { MmopCodec, ReplyCode, Status, describeError, truncateText } from '@monomyth/mmop';
import type { FailedMessageInfo, MessageOf } from '@monomyth/mmop';
import { MonomythHeader, failQueueOf } from '@monomyth/node';
import type { Logger, NodeRecipe, StreamAdapter, System } from '@monomyth/node';
import { isFailedMessagesCapable, redrivesOf } from '@monomyth/node/adapter';
import type { HeaderValue, MessageHeaders, PeekedMessage } from '@monomyth/node/adapter';

export type FailQueueAnswer = MessageOf<'FAIL-QUEUE-SUCCESS'> | MessageOf<'FAIL-QUEUE-FAILURE'>;
type FailQueueSuccess = MessageOf<'FAIL-QUEUE-SUCCESS'>;

export interface FailQueueEnv {
  readonly workerId: string;
  readonly system: System;
  readonly adapter: StreamAdapter;
  readonly log: Logger;
}

/** Bounds that keep a page of MAX_FAIL_QUEUE_PEEK messages well under a frame (1 MiB by default). */
const REASON_CHARS = 1000;
const VALUE_CHARS = 200;
const PREVIEW_BYTES = 120;
const OTHER_HEADERS = 16;

const decoder = new TextDecoder();
/** Measures answers against the master's frame limit; encodes nothing that is sent. */
const sizer = new MmopCodec();

/** The failure headers `inspect` shows as fields of their own; the others go to `headers`. */
const SHOWN: ReadonlySet<string> = new Set([
  MonomythHeader.ErrorMessage,
  MonomythHeader.ErrorName,
  MonomythHeader.Step,
  MonomythHeader.Attempts,
  MonomythHeader.FirstFailureAt,
  MonomythHeader.LastFailureAt,
  MonomythHeader.SourceQueue,
  MonomythHeader.NodeName,
  MonomythHeader.Redrives,
]);

/** Does what the request asks; never throws: every failure is an answer. */
export async function answerFailQueue(
  request: MessageOf<'FAIL-QUEUE'>,
  env: FailQueueEnv,
): Promise<FailQueueAnswer> {
  const { requestId, type, action } = request;
  const fail = (status: number, code: string, reason: string): FailQueueAnswer => ({
    kind: 'FAIL-QUEUE-FAILURE',
    requestId,
    type,
    status,
    code,
    reason: truncateText(reason),
  });
  const recipe = env.system.recipes.find((candidate) => candidate.type === type);
  if (!recipe) {
    return fail(
      Status.BadRequest,
      ReplyCode.UnknownType,
      `${env.workerId} has no node type ${type}; its types: ${env.system.types.join(', ')}`,
    );
  }
  const { adapter } = env;
  if (!isFailedMessagesCapable(adapter)) {
    return fail(
      Status.NotImplemented,
      ReplyCode.NotCapable,
      `the stream adapter of ${env.workerId} cannot inspect or move failed messages (it is not FailedMessagesCapable)`,
    );
  }
  const queue = failQueueOf(type);
  let to: string | undefined;
  if (action === 'redrive') {
    to = request.to ?? recipe.source ?? undefined;
    const sources = sourceQueues(env.system.recipes);
    if (to === undefined) {
      return fail(
        Status.BadRequest,
        ReplyCode.UnknownQueue,
        `${type} reads no queue (a generator): say where to send its failed messages with --to`,
      );
    }
    if (!sources.has(to)) {
      return fail(
        Status.BadRequest,
        ReplyCode.UnknownQueue,
        `no node of the system reads ${to}; the queues its nodes read: ${[...sources].join(', ')}`,
      );
    }
  }
  try {
    // The system's own queues, declared as its nodes declare them: a type none of whose nodes ran yet has them too.
    await adapter.declareQueue(queue);
    if (to !== undefined) await adapter.declareQueue(to);
    const base = { kind: 'FAIL-QUEUE-SUCCESS', requestId, type, action, queue } as const;
    switch (action) {
      case 'inspect': {
        // Counted first: an adapter that peeks by taking and giving back (RabbitMQ) may count the messages it gave
        // back a moment late.
        const count = await adapter.countMessages(queue);
        const peeked = request.peek ? await adapter.peekMessages(queue, request.peek) : [];
        return fitted({ ...base, count, messages: peeked.map(describeFailed) }, request.maxBytes);
      }
      case 'redrive': {
        const moved = await adapter.moveMessages(queue, to as string, { limit: request.limit });
        env.log.info({ type, queue, to, moved }, 'failed messages redriven');
        return { ...base, count: await adapter.countMessages(queue), moved, to };
      }
      case 'purge': {
        const purged = await adapter.purgeMessages(queue);
        env.log.warn({ type, queue, purged }, 'failed messages purged');
        return { ...base, count: await adapter.countMessages(queue), purged };
      }
    }
  } catch (error) {
    env.log.warn({ type, action, err: error }, 'fail queue request failed');
    return fail(
      Status.InternalError,
      ReplyCode.FailQueueFailed,
      `${action} of ${queue} failed on ${env.workerId}: ${describeError(error)}`,
    );
  }
}

/**
 * The answer with as many of its first messages as fit `maxBytes` (the master's frame limit: a larger frame would cost
 * this worker its connection to the master, and the operator an answer), and how many were left out (`omitted`).
 */
export function fitted(answer: FailQueueSuccess, maxBytes: number | undefined): FailQueueSuccess {
  const messages = answer.messages ?? [];
  if (maxBytes === undefined || messages.length === 0) return answer;
  let size = bodyBytes(answer);
  if (size <= maxBytes) return answer;
  const first = (keep: number): FailQueueSuccess => ({
    ...answer,
    messages: messages.slice(0, keep),
    omitted: messages.length - keep,
  });
  // Messages are about the same size: cut in proportion (at least one each time) until it fits, then take back any
  // that still fit, so that no more is left out than must be.
  let keep = messages.length;
  while (keep > 0 && size > maxBytes) {
    keep = Math.min(keep - 1, Math.floor((keep * maxBytes) / size));
    size = bodyBytes(first(keep));
  }
  while (keep < messages.length && bodyBytes(first(keep + 1)) <= maxBytes) keep += 1;
  return first(keep);
}

function bodyBytes(answer: FailQueueSuccess): number {
  try {
    return (sizer.encode(answer)[2] as Uint8Array).byteLength;
  } catch {
    // Over the codec's own bounds: too large for any master.
    return Number.POSITIVE_INFINITY;
  }
}

/** The queues some node of the system reads: where failed messages may be sent back to. */
function sourceQueues(recipes: readonly NodeRecipe[]): Set<string> {
  const sources = new Set<string>();
  for (const recipe of recipes) if (recipe.source !== null) sources.add(recipe.source);
  return sources;
}

function text(headers: MessageHeaders, name: string, max = VALUE_CHARS): string | undefined {
  const value = headers[name];
  return value === undefined ? undefined : truncateText(String(value), max);
}

function count(headers: MessageHeaders, name: string): number | undefined {
  const value: HeaderValue | undefined = headers[name];
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** A peeked message as `inspect` shows it, cut to the bounds above. */
export function describeFailed(message: PeekedMessage): FailedMessageInfo {
  const { headers, body } = message;
  const info: FailedMessageInfo = {
    bodyBytes: body.byteLength,
    preview: truncateText(decoder.decode(body.subarray(0, PREVIEW_BYTES)), PREVIEW_BYTES),
    headers: [],
  };
  const fields: [keyof FailedMessageInfo, string | number | undefined][] = [
    ['reason', text(headers, MonomythHeader.ErrorMessage, REASON_CHARS)],
    ['errorName', text(headers, MonomythHeader.ErrorName)],
    ['step', text(headers, MonomythHeader.Step)],
    ['attempts', count(headers, MonomythHeader.Attempts)],
    ['firstFailureAt', text(headers, MonomythHeader.FirstFailureAt)],
    ['lastFailureAt', text(headers, MonomythHeader.LastFailureAt)],
    ['sourceQueue', text(headers, MonomythHeader.SourceQueue)],
    ['nodeName', text(headers, MonomythHeader.NodeName)],
  ];
  for (const [field, value] of fields) {
    if (value !== undefined) (info as Record<string, unknown>)[field] = value;
  }
  const redrives = redrivesOf(headers);
  if (redrives > 0) info.redrives = redrives;
  for (const name in headers) {
    if (SHOWN.has(name)) continue;
    if (info.headers.length === OTHER_HEADERS) break;
    info.headers.push({
      name: truncateText(name, VALUE_CHARS),
      value: text(headers, name) ?? '',
    });
  }
  return info;
}
