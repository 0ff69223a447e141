/**
 * How the master answers peers. Every message goes out through one ordered sender, so a peer reads the master's
 * messages in the order it wrote them. An answer that cannot be sent (the peer is gone, or its queue is full) is
 * logged (ten lines per 10 s at most, then a count), never thrown: nothing a peer does can fail the master. ERROR
 * reasons are cut to MMOP's text limit.
 */
import type { Router } from 'zeromq';
import {
  MmopEncodeError,
  OrderedSender,
  ReplyCode,
  Status,
  describeError,
  describeRoutingId,
  truncateText,
} from '@monomyth/mmop';
import type { MmopCodec, MmopMessage } from '@monomyth/mmop';
import type { Logger } from './logger.js';
import { RateLimiter } from './rate-limited.js';

export class Replies {
  readonly #codec: MmopCodec;
  readonly #sender: OrderedSender;
  readonly #log: Logger;
  readonly #isClosed: () => boolean;
  /** The frames of the messages sent with `replyUnchanging`, by message object. */
  readonly #encoded = new WeakMap<MmopMessage, Buffer[]>();
  readonly #sendFailures = new RateLimiter(10, 10_000);

  constructor(router: Router, codec: MmopCodec, log: Logger, isClosed: () => boolean) {
    this.#codec = codec;
    this.#log = log;
    this.#isClosed = isClosed;
    this.#sender = new OrderedSender((frames) => router.send(frames));
  }

  /** Sends a message to the peer with this routing id; rejects if it cannot be encoded or routed now. */
  send(identity: Buffer, message: MmopMessage): Promise<void> {
    if (this.#isClosed()) return Promise.reject(new Error('the master is closed'));
    let frames: Buffer[];
    try {
      const encoded = this.#encoded.get(message);
      frames = encoded ? [identity, ...encoded] : this.#codec.encodeEnvelope(identity, message);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#sender.send(frames);
  }

  /**
   * Sends an answer; a failure to send is logged. An answer that cannot be encoded (an INFO-RESPONSE over the body
   * limit, asked for without pages) is replaced by ERROR 500 naming why, so the requester is not left to time out.
   */
  reply(identity: Buffer, message: MmopMessage): void {
    this.send(identity, message).catch((error: unknown) => {
      const requestId = 'requestId' in message ? message.requestId : undefined;
      if (error instanceof MmopEncodeError && message.kind !== 'ERROR' && requestId) {
        this.internalError(identity, requestId, error, { kind: message.kind });
        return;
      }
      // Many peers gone at once (a host or a network lost) must not write a line each.
      const { allowed, suppressed } = this.#sendFailures.take(Date.now());
      if (suppressed > 0)
        this.#log.warn({ suppressed }, 'more replies could not be sent and were not logged');
      if (allowed)
        this.#log.warn(
          { kind: message.kind, peer: describeRoutingId(identity), err: error },
          'could not send a reply',
        );
    });
  }

  /**
   * `reply` for a message that is the same object every time (HEARTBEAT-ACK, a worker's most frequent answer): it is
   * encoded on its first use only.
   */
  replyUnchanging(identity: Buffer, message: MmopMessage): void {
    if (!this.#encoded.has(message)) {
      try {
        this.#encoded.set(message, this.#codec.encode(message));
      } catch {
        // Not cached: `reply` encodes it again and reports why it cannot.
      }
    }
    this.reply(identity, message);
  }

  /** Answers with ERROR. */
  error(
    identity: Buffer,
    requestId: string | undefined,
    status: number,
    code: string,
    reason: string,
  ): void {
    this.reply(identity, { kind: 'ERROR', requestId, status, code, reason: truncateText(reason) });
  }

  /** Answers with ERROR 500 for a message whose handling threw or rejected; the error is logged. */
  internalError(
    identity: Buffer,
    requestId: string | undefined,
    error: unknown,
    fields: Record<string, unknown>,
  ): void {
    this.#log.error({ err: error, requestId, ...fields }, 'failed to handle a message');
    this.error(identity, requestId, Status.InternalError, ReplyCode.Internal, describeError(error));
  }

  /** Answers a request once its handling settles: with its reply, or ERROR 500 if it rejects. */
  answer(identity: Buffer, requestId: string, answering: Promise<MmopMessage>): void {
    answering.then(
      (reply) => this.reply(identity, reply),
      (error: unknown) => this.internalError(identity, requestId, error, {}),
    );
  }

  /** Stops sending: messages still queued are dropped. */
  close(): void {
    this.#sender.close();
  }
}
