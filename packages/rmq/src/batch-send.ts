/**
 * One batch of a publish waiting for its confirms: counts the confirms, nacks, returns and skipped messages as they
 * come, settles one promise for the whole batch (rejecting with ChannelLost when its channel died before every
 * confirm), and names the messages refused on their own account.
 */
import { UnknownQueueError, describeError } from '@monomyth/node/adapter';
import type { OutgoingMessage, RejectedMessage } from '@monomyth/node/adapter';

/** Where a message to `queue` goes: the exchange and routing key. */
export type RouteOf = (queue: string) => { readonly exchange: string; readonly routingKey: string };

/** The channel died under the batch: send it again on another one. */
export class ChannelLost extends Error {
  constructor(cause: unknown) {
    super(`the channel closed before every confirm arrived: ${describeError(cause)}`, { cause });
  }
}

/** One batch waiting for its confirms. */
export class BatchSend {
  private remaining: number;
  /** Positions of the messages the broker nacked. */
  nacked: number[] | undefined;
  private lost: unknown;
  /** Routes (`exchange routingKey`) the broker returned a message of. */
  private unroutable: Set<string> | undefined;
  /** Messages skipped before sending, by index. */
  private refused: RejectedMessage[] | undefined;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(
    private readonly messages: readonly OutgoingMessage[],
    private readonly routeOf: RouteOf,
  ) {
    this.remaining = messages.length;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** The broker confirmed (or nacked, or the channel lost) the message at `index`. */
  confirmed(index: number, error: unknown): void {
    if (error !== null && error !== undefined) {
      if (describeError(error) === 'message nacked') (this.nacked ??= []).push(index);
      else this.lost ??= error;
    }
    this.remaining -= 1;
    if (this.remaining === 0) this.finish();
  }

  /** The broker could not route a message published to `exchange` with `routingKey`. */
  returned(exchange: string, routingKey: string): void {
    (this.unroutable ??= new Set()).add(`${exchange} ${routingKey}`);
  }

  /** Message `index` was not sent, for a reason of its own: it takes no confirm. */
  skipped(index: number, reason: string, cause?: unknown): void {
    (this.refused ??= []).push({ index, reason, cause });
    this.remaining -= 1;
    if (this.remaining === 0) this.finish();
  }

  /** `count` messages were never written (the channel closed under the loop). */
  notSent(count: number, error: unknown): void {
    this.lost ??= error;
    this.remaining -= count;
    if (this.remaining === 0) this.finish();
  }

  private finish(): void {
    if (this.lost !== undefined) this.reject(new ChannelLost(this.lost));
    else this.resolve();
  }

  /** The messages refused: skipped ones, and (rare, so looked up only now) those with a returned route. */
  rejected(): RejectedMessage[] | undefined {
    if (this.refused === undefined && this.unroutable === undefined) return undefined;
    const rejected = this.refused ?? [];
    const unroutable = this.unroutable;
    if (unroutable !== undefined) {
      const skipped = new Set(rejected.map((message) => message.index));
      this.messages.forEach((message, index) => {
        const { exchange, routingKey } = this.routeOf(message.queue);
        if (skipped.has(index) || !unroutable.has(`${exchange} ${routingKey}`)) return;
        rejected.push({
          index,
          reason: `no route to queue ${JSON.stringify(message.queue)} (it was deleted?)`,
          cause: new UnknownQueueError('publish', message.queue),
        });
      });
    }
    return rejected;
  }
}
