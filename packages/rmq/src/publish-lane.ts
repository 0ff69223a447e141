/**
 * The RabbitMQ adapter's ordered lanes (`OrderedPublishCapable`): one caller's publishes on a confirm channel the lane
 * keeps for itself, written in call order, each call resolving on its own confirms. RabbitMQ stores what one channel
 * sends in the order sent, so a call is written while the calls before it still wait for their confirms, and the
 * order holds. A node with batches in flight publishes through one: its next batch's outputs go out while the last
 * batch's confirms are on their way, instead of a confirm round trip after them.
 *
 * The order is that of the writes: a call writes once the call before it has written (or gave up before writing),
 * whatever its own checks cost first (declaring an unknown queue, say). What is sent again after a nack or a lost
 * channel (publisher.ts) goes when it can, possibly behind later calls.
 */
import type { OutgoingMessage, PublishLane } from '@monomyth/node/adapter';
import type { PooledChannel } from './pooled-channel.js';

/** One call on a lane: its place in the write order. */
export class LaneCall {
  /** The call before it, until this one has written (then dropped, so calls do not chain up in memory). */
  previous: LaneCall | undefined;
  finished = false;
  readonly written: Promise<void>;
  private wrote!: () => void;

  constructor(
    readonly lane: RabbitMqPublishLane,
    previous: LaneCall | undefined,
  ) {
    this.previous = previous;
    this.written = new Promise((resolve) => {
      this.wrote = resolve;
    });
  }

  /** Every message of the call is written, or it will write none: the next call may write. Idempotent. */
  readonly done = (): void => {
    if (this.finished) return;
    this.finished = true;
    this.previous = undefined;
    this.wrote();
  };
}

/** How a lane reaches its adapter. */
export interface LaneHost {
  /** Checks and publishes `messages` as one of the lane's calls. */
  publishInLane(messages: readonly OutgoingMessage[], call: LaneCall): Promise<void>;
  /** Publishes outside any lane. */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  /** The lane makes no more calls. */
  laneClosed(lane: RabbitMqPublishLane): void;
}

export class RabbitMqPublishLane implements PublishLane {
  /** The channel the lane writes on; replaced when it dies or retires. */
  channel: PooledChannel | undefined;
  /** The channel being opened for the lane, shared by the calls waiting for it. */
  acquiring: Promise<PooledChannel> | undefined;
  closed = false;
  private last: LaneCall | undefined;

  constructor(private readonly host: LaneHost) {}

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) return this.host.publish(messages);
    const previous = this.last;
    const call = new LaneCall(
      this,
      previous === undefined || previous.finished ? undefined : previous,
    );
    this.last = call;
    const sent = this.host.publishInLane(messages, call);
    // Whatever ends the call (refused before writing, say), the next one must not wait for it.
    sent.then(call.done, call.done);
    return sent;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.last = undefined;
    this.host.laneClosed(this);
  }
}
