/**
 * Placing fail-queue copies that the stream may refuse, one message at a time, without stopping the node:
 *
 *   full copy (original headers + failure headers + body)
 *     -> refused: trimmed copy (failure headers + body, original headers dropped largest first,
 *                 `x-monomyth-dropped-headers` naming them)
 *     -> refused: the backend dead-letters the original itself (`DeadLetterCapable`: never re-encoded)
 *                 or, without that capability, a copy without the body (`x-monomyth-body-dropped`), logged as an error
 *     -> refused: the fail queue itself is unusable: a stream failure
 *
 * Only the refused messages move to the next rung; a refusal never costs the rest of the batch. This runs only when
 * something failed, never for a clean batch.
 */
import { MessagesRejectedError, describeError } from './errors.js';
import type { NodeInfo } from './definition.js';
import { bodylessFailHeaders, failHeaders, trimmedFailHeaders } from './failure-policy.js';
import type { MessageFailure } from './failure-policy.js';
import type { Logger } from './logger.js';
import { isDeadLetterCapable } from './stream-adapter.js';
import type {
  DeadLetterCapable,
  Delivery,
  OutgoingMessage,
  StreamAdapter,
  StreamConsumer,
} from './stream-adapter.js';

/** How far down the ladder a message is. */
export const enum Rung {
  Full = 0,
  Trimmed = 1,
  /** Dead-lettered by the backend, or (without that capability) a copy without the body. */
  LastResort = 2,
  Bodyless = 3,
}

/** A failed delivery whose fail-queue copy is still to be placed, and the rung to try next. */
export interface FailCopy {
  readonly delivery: Delivery;
  readonly failure: MessageFailure;
  rung: Rung;
}

export interface FailPlacementEnv {
  readonly adapter: StreamAdapter;
  readonly failQueue: string;
  readonly node: NodeInfo;
  readonly logger: Logger;
}

/** The fail-queue copy of `copy` at its rung (not for a dead-letter). */
export function failCopyMessage(
  copy: FailCopy,
  failQueue: string,
  node: NodeInfo,
  nowIso: string,
): OutgoingMessage {
  const { delivery, failure } = copy;
  switch (copy.rung) {
    case Rung.Full:
      return {
        queue: failQueue,
        body: delivery.body,
        headers: failHeaders(failure, delivery, node, nowIso),
      };
    case Rung.Trimmed:
      return {
        queue: failQueue,
        body: delivery.body,
        headers: trimmedFailHeaders(failure, delivery, node, nowIso),
      };
    default:
      return {
        queue: failQueue,
        body: new Uint8Array(0),
        headers: bodylessFailHeaders(failure, delivery, node, nowIso),
      };
  }
}

/**
 * Places the copies of `copies`, moving each refused one down the ladder (see the file header). Resolves with the
 * deliveries whose copies are durable (the caller acks them); dead-lettered ones are settled already. Rejects with an
 * `UnplacedError` when the stream fails, or refuses even a copy without the body: it lists what was placed (to ack)
 * and what was not (to requeue).
 */
export async function placeFailCopies(
  env: FailPlacementEnv,
  consumer: StreamConsumer,
  copies: readonly FailCopy[],
  nowIso: string,
): Promise<Delivery[]> {
  const placed: Delivery[] = [];
  const settled = new Set<FailCopy>();
  const giveUp = (error: unknown): UnplacedError =>
    new UnplacedError(
      placed,
      copies.filter((copy) => !settled.has(copy)).map((copy) => copy.delivery),
      error,
    );
  let pending = copies;
  while (pending.length > 0) {
    const toPublish: OutgoingMessage[] = [];
    const publishing: FailCopy[] = [];
    const toDeadLetter: FailCopy[] = [];
    for (const copy of pending) {
      if (copy.rung === Rung.LastResort && isDeadLetterCapable(consumer)) {
        toDeadLetter.push(copy);
        continue;
      }
      if (copy.rung === Rung.LastResort) copy.rung = Rung.Bodyless;
      toPublish.push(failCopyMessage(copy, env.failQueue, env.node, nowIso));
      publishing.push(copy);
    }
    const next: FailCopy[] = [];
    if (toPublish.length > 0) {
      let refused: ReadonlySet<number> = NONE;
      try {
        await env.adapter.publish(toPublish);
      } catch (error) {
        if (!(error instanceof MessagesRejectedError)) throw giveUp(error);
        refused = new Set(error.rejected.map((rejected) => rejected.index));
        for (const { index, reason } of error.rejected) {
          const copy = publishing[index];
          if (copy === undefined) continue;
          if (copy.rung === Rung.Bodyless) {
            markPlaced(publishing, refused, placed, settled);
            throw giveUp(error);
          }
          env.logger.warn(
            { rung: copy.rung, reason, error: describeError(copy.failure.error) },
            copy.rung === Rung.Full
              ? 'the fail-queue copy was refused; placing a trimmed copy'
              : 'the trimmed fail-queue copy was refused too; falling back to the last resort',
          );
          copy.rung += 1;
          next.push(copy);
        }
      }
      markPlaced(publishing, refused, placed, settled);
      for (const copy of publishing) {
        if (copy.rung !== Rung.Bodyless || refused.has(publishing.indexOf(copy))) continue;
        env.logger.error(
          { bytes: copy.delivery.body.byteLength, error: describeError(copy.failure.error) },
          'no fail-queue copy with the body could be placed and the adapter cannot dead-letter: placed a copy ' +
            'without the body',
        );
      }
    }
    if (toDeadLetter.length > 0) {
      try {
        await (consumer as StreamConsumer & DeadLetterCapable).deadLetter(
          toDeadLetter.map((copy) => copy.delivery),
        );
      } catch (error) {
        throw giveUp(error);
      }
      for (const copy of toDeadLetter) settled.add(copy);
      env.logger.warn(
        { messages: toDeadLetter.length },
        'no fail-queue copy could be placed: the stream dead-lettered the originals to the fail queue',
      );
    }
    pending = next;
  }
  return placed;
}

const NONE: ReadonlySet<number> = new Set();

function markPlaced(
  publishing: readonly FailCopy[],
  refused: ReadonlySet<number>,
  placed: Delivery[],
  settled: Set<FailCopy>,
): void {
  publishing.forEach((copy, index) => {
    if (refused.has(index) || settled.has(copy)) return;
    settled.add(copy);
    placed.push(copy.delivery);
  });
}

/**
 * The stream failed while placing fail-queue copies. `placed`: deliveries whose copies are durable (ack them);
 * `unplaced`: those still unsettled (requeue them).
 */
export class UnplacedError extends Error {
  constructor(
    readonly placed: readonly Delivery[],
    readonly unplaced: readonly Delivery[],
    cause: unknown,
  ) {
    super(`could not place fail-queue copies: ${describeError(cause)}`, { cause });
  }
}
