/**
 * Sends frames one at a time, in order. A zeromq.js socket allows one `send` in flight; callers that answer requests as
 * they arrive (a master, a worker, a client with many calls in flight) need their sends queued, bounded, and failed
 * one by one rather than thrown at whoever happened to send next. Transport-agnostic: it takes the send function.
 */
import type { Frames } from './codec.js';
import { MonomythError, brandError } from './monomyth-error.js';

export interface OrderedSenderOptions {
  /** Sends waiting beyond this many are refused at once (the peer or the socket is not keeping up). @default 10_000 */
  maxQueued?: number;
}

/** The send queue is full: the message was not sent. */
export class SendQueueFullError extends MonomythError {
  static {
    brandError(this, '@monomyth/mmop.SendQueueFullError');
  }

  readonly code = 'SEND_QUEUE_FULL';
}

/** The sender was closed: the message was not sent. */
export class SenderClosedError extends MonomythError {
  static {
    brandError(this, '@monomyth/mmop.SenderClosedError');
  }

  readonly code = 'SENDER_CLOSED';
}

interface QueuedSend {
  readonly frames: Frames;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class OrderedSender {
  readonly #send: (frames: Frames) => Promise<void>;
  readonly #maxQueued: number;
  readonly #queue: QueuedSend[] = [];
  #head = 0;
  #sending = false;
  #closed = false;

  constructor(send: (frames: Frames) => Promise<void>, options: OrderedSenderOptions = {}) {
    this.#send = send;
    this.#maxQueued = options.maxQueued ?? 10_000;
  }

  /** Messages waiting to be sent. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Resolves once the socket took the frames; rejects with the socket's error, or if full or closed. */
  send(frames: Frames): Promise<void> {
    if (this.#closed) return Promise.reject(new SenderClosedError('the sender is closed'));
    if (this.queued >= this.#maxQueued) {
      return Promise.reject(
        new SendQueueFullError(`${this.queued} messages are already waiting to be sent`),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ frames, resolve, reject });
      if (!this.#sending) void this.#drain();
    });
  }

  /** Refuses new sends and fails those still waiting. */
  close(): void {
    this.#closed = true;
    const waiting = this.#queue.splice(this.#head);
    this.#queue.length = 0;
    this.#head = 0;
    for (const item of waiting)
      item.reject(new SenderClosedError('the sender closed before this message was sent'));
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    for (let item = this.#queue[this.#head]; item !== undefined; item = this.#queue[this.#head]) {
      this.#head += 1;
      try {
        await this.#send(item.frames);
        item.resolve();
      } catch (error) {
        item.reject(error);
      }
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
    }
    this.#queue.length = 0;
    this.#head = 0;
    this.#sending = false;
  }
}
