/**
 * Delayed retry for adapters without `DelayedRetryCapable`: the node holds the failed delivery unacknowledged for the
 * delay, then publishes a copy with the next attempt and acks the original.
 *
 * The trade-off: a held message keeps its slot under `maxUnacked`, so a burst of failures slows pulling until their
 * delays pass; and a retry lives in this process, so a node that dies loses the delay (not the message: the broker
 * redelivers the original, with its attempt unchanged). On a graceful drain the held copies are published at once,
 * without waiting out their delay, so nothing stays held.
 *
 * A retry copy the stream refuses (`MessagesRejectedError`: the copy's headers no longer fit, say) would be refused
 * every time: its message goes to the fail queue instead, down the ladder of fail-placement.ts.
 */
import { MessageRefusedError, MessagesRejectedError } from './errors.js';
import { Rung, UnplacedError, placeFailCopies } from './fail-placement.js';
import type { FailPlacementEnv } from './fail-placement.js';
import type { Logger } from './logger.js';
import type { Delivery, MessageHeaders, StreamAdapter, StreamConsumer } from './stream-adapter.js';

interface HeldEntry {
  readonly delivery: Delivery;
  readonly headers: MessageHeaders;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class HeldRetries {
  private readonly entries = new Set<HeldEntry>();

  private readonly adapter: StreamAdapter;
  private readonly logger: Logger;

  constructor(
    /** The adapter and logger to use, and where a message whose retry copy is refused goes instead. */
    private readonly placement: FailPlacementEnv,
    private readonly consumer: StreamConsumer,
    /** Told when a retry could not be placed: the stream failed, and the node must stop. */
    private readonly onStreamFailure: (error: unknown) => void,
  ) {
    this.adapter = placement.adapter;
    this.logger = placement.logger;
  }

  get size(): number {
    return this.entries.size;
  }

  hold(delivery: Delivery, delayMs: number, headers: MessageHeaders): void {
    const entry: HeldEntry = {
      delivery,
      headers,
      timer: setTimeout(() => {
        this.release(entry).catch((error: unknown) => this.onStreamFailure(error));
      }, delayMs),
    };
    this.entries.add(entry);
  }

  /** Publishes every held retry now and acks the originals; rejects with the first failure. */
  async flush(): Promise<void> {
    const entries = [...this.entries];
    if (entries.length === 0) return;
    this.logger.debug({ held: entries.length }, 'publishing held retries before stopping');
    const results = await Promise.allSettled(entries.map((entry) => this.release(entry)));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }

  /** Forgets every held retry: the originals stay unacknowledged and come back when the consumer closes. */
  cancel(): void {
    for (const entry of this.entries) clearTimeout(entry.timer);
    this.entries.clear();
  }

  private async release(entry: HeldEntry): Promise<void> {
    if (!this.entries.delete(entry)) return;
    clearTimeout(entry.timer);
    const { delivery } = entry;
    try {
      await this.adapter.publish([
        {
          queue: delivery.queue,
          body: delivery.body,
          headers: { ...delivery.headers, ...entry.headers },
        },
      ]);
    } catch (error) {
      if (!(error instanceof MessagesRejectedError)) throw error;
      await this.failRefused(delivery, error);
      return;
    }
    await this.consumer.ack([delivery]);
  }

  private async failRefused(delivery: Delivery, refusal: MessagesRejectedError): Promise<void> {
    const reason = refusal.rejected[0]?.reason ?? 'refused';
    const failure = {
      step: 'place' as const,
      error: new MessageRefusedError('a retry copy', reason),
    };
    this.logger.warn(
      { reason },
      'the stream refused a retry copy; its message goes to the fail queue',
    );
    let placed: Delivery[];
    try {
      placed = await placeFailCopies(
        this.placement,
        this.consumer,
        [{ delivery, failure, rung: Rung.Full }],
        new Date().toISOString(),
      );
    } catch (error) {
      if (!(error instanceof UnplacedError)) throw error;
      if (error.placed.length > 0) await this.consumer.ack(error.placed);
      throw error.cause ?? error;
    }
    // A dead-lettered delivery is settled already; a placed copy's original is acked now.
    if (placed.length > 0) await this.consumer.ack(placed);
  }
}
