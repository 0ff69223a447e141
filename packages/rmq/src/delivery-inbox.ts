/**
 * The deliveries of one consumer, taken in batches by a loop that may wait for them: a fail-queue move (see
 * failed-messages.ts) consumes instead of pulling with `basic.get`, and takes what arrived in rounds.
 */
import type { ConsumeMessage } from 'amqplib';

export class DeliveryInbox {
  private messages: ConsumeMessage[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  /** A delivery arrived. */
  push(message: ConsumeMessage): void {
    this.messages.push(message);
    this.wake?.();
  }

  /** No more will arrive (the broker cancelled the consumer, the channel closed): a waiting `take` rejects. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  /**
   * Up to `max` deliveries, in the order they arrived: once `max` are there, or once `idleMs` pass without a new one
   * and some are there. With none there after `idleMs`, `isEmpty()` decides: true ends the wait with none, false
   * waits on (the queue holds messages the broker has yet to deliver).
   */
  async take(
    max: number,
    idleMs: number,
    isEmpty: () => Promise<boolean>,
  ): Promise<ConsumeMessage[]> {
    while (this.messages.length < max) {
      if (this.failure !== undefined) throw this.failure;
      const before = this.messages.length;
      await this.arrival(idleMs);
      if (this.failure !== undefined) throw this.failure;
      if (this.messages.length > before) continue;
      if (this.messages.length > 0 || (await isEmpty())) break;
    }
    return this.messages.splice(0, max);
  }

  private arrival(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.wake = done;
    });
  }
}
