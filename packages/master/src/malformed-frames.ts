/**
 * What the master does with frames that do not decode: log them, at most ten lines per ten seconds however fast they
 * come, and decide whether they deserve an answer. A request whose id could be read gets ERROR 400 naming the problem;
 * a peer speaking another MMOP version gets ERROR 505 naming the versions spoken; anything else (not MMOP at all, or
 * unattributable) gets nothing, since there is no one to correlate an answer with.
 */
import {
  DecodeErrorCode,
  MmopDecodeError,
  Status,
  describeError,
  describeRoutingId,
} from '@monomyth/mmop';
import type { Logger } from './logger.js';
import { RateLimiter } from './rate-limited.js';

export interface ErrorReply {
  readonly identity: Buffer;
  readonly requestId: string | undefined;
  readonly status: number;
  readonly code: string;
  readonly reason: string;
}

export class MalformedFrames {
  readonly #log: Logger;
  readonly #limiter = new RateLimiter(10, 10_000);

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Logs the frames (rate-limited) and returns the ERROR to answer with, if any. */
  handle(frames: Buffer[], error: unknown): ErrorReply | undefined {
    const decodeError = error instanceof MmopDecodeError ? error : undefined;
    const { allowed, suppressed } = this.#limiter.take(Date.now());
    if (suppressed > 0)
      this.#log.warn({ suppressed }, 'more malformed frames were received and not logged');
    if (allowed) {
      this.#log.warn(
        {
          code: decodeError?.code,
          peer: frames[0] && describeRoutingId(frames[0]),
          frames: frames.length,
          err: decodeError ? undefined : error,
        },
        `malformed frames: ${describeError(error)}`,
      );
    }
    const identity = frames[0];
    if (!decodeError || !identity || identity.byteLength === 0) return undefined;
    const { requestId, code, message } = decodeError;
    if (requestId !== undefined)
      return { identity, requestId, status: Status.BadRequest, code, reason: message };
    if (code === DecodeErrorCode.UnsupportedVersion) {
      // The peer cannot read MMOP/1, but its operator can capture the reply and read which versions are spoken.
      return {
        identity,
        requestId: undefined,
        status: Status.VersionNotSupported,
        code,
        reason: message,
      };
    }
    return undefined;
  }
}
