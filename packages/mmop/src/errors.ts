/**
 * The codec's errors. `decode` throws nothing but MmopDecodeError, whatever bytes arrive; `encode` throws
 * MmopEncodeError for a message that breaks its kind's schema or the body size limit. Each carries a stable `code`.
 *
 * Both are branded `MonomythError`s (monomyth-error.ts), so `instanceof` holds even when two copies of this package are
 * loaded.
 */
import { MonomythError, brandError } from './monomyth-error.js';

/** Why a set of frames is not a valid MMOP/1 message. */
export const DecodeErrorCode = {
  /** The frames are not an array of byte buffers. */
  NotFrames: 'NOT_FRAMES',
  /** Not three frames (version, kind, body), or a ROUTER envelope without an identity. */
  FrameCount: 'FRAME_COUNT',
  /** The body frame is larger than the codec's limit. */
  FrameTooLarge: 'FRAME_TOO_LARGE',
  /** The first frame is not an MMOP version at all. */
  NotMmop: 'NOT_MMOP',
  /** The first frame names an MMOP version this side does not speak. */
  UnsupportedVersion: 'UNSUPPORTED_VERSION',
  /** The second frame names no MMOP/1 kind. */
  UnknownKind: 'UNKNOWN_KIND',
  /** The body is not valid msgpack, or exceeds a decoder limit (string, array or map length). */
  MalformedBody: 'MALFORMED_BODY',
  /** The body decodes, but not to a map. */
  BodyNotMap: 'BODY_NOT_MAP',
  /** A required field is absent. */
  MissingField: 'MISSING_FIELD',
  /** A field has the wrong type or is out of bounds. */
  InvalidField: 'INVALID_FIELD',
} as const;

export type DecodeErrorCode = (typeof DecodeErrorCode)[keyof typeof DecodeErrorCode];

/** Why a message cannot be encoded. */
export const EncodeErrorCode = {
  UnknownKind: 'UNKNOWN_KIND',
  MissingField: 'MISSING_FIELD',
  InvalidField: 'INVALID_FIELD',
  /** The encoded body is larger than the codec's limit. */
  FrameTooLarge: 'FRAME_TOO_LARGE',
  /** A ROUTER envelope with an empty identity. */
  BadIdentity: 'BAD_IDENTITY',
} as const;

export type EncodeErrorCode = (typeof EncodeErrorCode)[keyof typeof EncodeErrorCode];

export interface MmopErrorDetails {
  /** The kind of the message, when the frames got that far. */
  readonly kind?: string;
  /** The offending field, as a path (`nodes[2].processed`). */
  readonly field?: string;
  /** The request's id, when it could be read: lets a server answer a malformed request with an ERROR reply. */
  readonly requestId?: string;
  readonly cause?: unknown;
}

/**
 * What the codec's two errors share: a stable `code` and, when the frames got that far, the message's kind and the
 * offending field. Not exported from the package: callers catch `MmopDecodeError` or `MmopEncodeError`.
 */
export abstract class MmopCodecError<Code extends string> extends MonomythError {
  readonly code: Code;
  readonly kind: string | undefined;
  readonly field: string | undefined;

  constructor(code: Code, message: string, details: MmopErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.kind = details.kind;
    this.field = details.field;
  }
}

export class MmopDecodeError extends MmopCodecError<DecodeErrorCode> {
  static {
    brandError(this, '@monomyth/mmop.MmopDecodeError');
  }

  readonly requestId: string | undefined;

  constructor(code: DecodeErrorCode, message: string, details: MmopErrorDetails = {}) {
    super(code, message, details);
    this.requestId = details.requestId;
  }
}

export class MmopEncodeError extends MmopCodecError<EncodeErrorCode> {
  static {
    brandError(this, '@monomyth/mmop.MmopEncodeError');
  }
}
