/**
 * The MMOP/1 codec: the only code that knows the frame layout.
 *
 *   frames:           ["MMOP/1", KIND, body]          body = msgpack map of the kind's fields
 *   over a ROUTER:    [identity, "MMOP/1", KIND, body]
 *
 * `encode` validates the message against its kind's schema and the body size limit (a bug on this side should fail
 * here, not on the peer; the per-string and per-array limits are the receiver's to apply) and
 * reuses one msgpack Encoder and one pre-built frame per version and kind. `decode` checks the version, the frame count,
 * the kind, the body size, then every field, and throws nothing but MmopDecodeError, whatever bytes arrive.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { compileBodyValidator } from './body-validator.js';
import type { BodyProblem, BodyValidator } from './body-validator.js';
import { DecodeErrorCode, EncodeErrorCode, MmopDecodeError, MmopEncodeError } from './errors.js';
import type { MessageKind, MmopMessage } from './messages.js';
import { describeError } from './monomyth-error.js';
import { KIND_SPECS } from './wire-schemas.js';
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js';

/** Bounds on what `decode` accepts; what a peer sends past them is refused before it costs memory. */
export interface CodecLimits {
  /** Largest body frame, in bytes. @default 8 MiB */
  maxBodyBytes: number;
  /** Longest string in a body (keys included), in bytes. @default 64 KiB */
  maxStringBytes: number;
  /** Most items in one array of a body. @default 100_000 */
  maxArrayLength: number;
  /** Most entries in one map of a body. @default 10_000 */
  maxMapSize: number;
}

export const DEFAULT_CODEC_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxBodyBytes: 8 * 1024 * 1024,
  maxStringBytes: 64 * 1024,
  maxArrayLength: 100_000,
  maxMapSize: 10_000,
});

/** The frames of one message, ready for a socket's `send`. */
export type Frames = Buffer[];

/** What a socket hands over: byte frames (zeromq gives Buffers; any Uint8Array will do). */
export type IncomingFrames = readonly Uint8Array[];

export interface Envelope<M = MmopMessage> {
  /** The ROUTER's routing identity of the peer. */
  readonly identity: Buffer;
  readonly message: M;
}

/** Longest version or kind frame worth reading as text: anything longer is neither. */
const MAX_LABEL_BYTES = 64;

/** A first frame meant as an MMOP version, exact or not: `MMOP` in any case, after any whitespace or NULs. */
const VERSION_ATTEMPT = /^[\s\0]*mmop/i;

interface KindEntry {
  readonly kind: MessageKind;
  readonly frame: Buffer;
  readonly validator: BodyValidator;
}

const VERSION_FRAME = Buffer.from(PROTOCOL_VERSION, 'latin1');

const KINDS: ReadonlyMap<string, KindEntry> = new Map(
  (Object.keys(KIND_SPECS) as MessageKind[]).map((kind) => [
    kind,
    {
      kind,
      frame: Buffer.from(kind, 'latin1'),
      validator: compileBodyValidator(KIND_SPECS[kind].body),
    },
  ]),
);

export class MmopCodec {
  readonly limits: Readonly<CodecLimits>;
  readonly #encoder = new Encoder({ ignoreUndefined: true });
  readonly #decoder: Decoder;

  constructor(limits: Partial<CodecLimits> = {}) {
    this.limits = Object.freeze({ ...DEFAULT_CODEC_LIMITS, ...limits });
    this.#decoder = new Decoder({
      maxStrLength: this.limits.maxStringBytes,
      maxBinLength: this.limits.maxStringBytes,
      maxArrayLength: this.limits.maxArrayLength,
      maxMapLength: this.limits.maxMapSize,
      maxExtLength: this.limits.maxStringBytes,
    });
  }

  /** Encodes a message into its three frames. Throws MmopEncodeError if the message would not decode. */
  encode(message: MmopMessage): Frames {
    const entry = KINDS.get(message.kind);
    if (!entry) {
      throw new MmopEncodeError(
        EncodeErrorCode.UnknownKind,
        `unknown MMOP/1 kind ${JSON.stringify(message.kind)}`,
        {
          kind: String(message.kind),
        },
      );
    }
    const source = message as unknown as Record<string, unknown>;
    const body: Record<string, unknown> = {};
    for (const field of entry.validator.fields) {
      const value = source[field];
      if (value !== undefined) body[field] = value;
    }
    const problem = entry.validator.check(body);
    if (problem) {
      const code = problem.missing ? EncodeErrorCode.MissingField : EncodeErrorCode.InvalidField;
      throw new MmopEncodeError(code, `cannot encode ${entry.kind}: ${describeProblem(problem)}`, {
        kind: entry.kind,
        field: problem.field,
      });
    }
    const bytes = this.#encoder.encode(body);
    if (bytes.byteLength > this.limits.maxBodyBytes) {
      throw new MmopEncodeError(
        EncodeErrorCode.FrameTooLarge,
        `cannot encode ${entry.kind}: its body is ${bytes.byteLength} bytes, over the limit of ${this.limits.maxBodyBytes}`,
        { kind: entry.kind },
      );
    }
    return [
      VERSION_FRAME,
      entry.frame,
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ];
  }

  /** Encodes a message for a ROUTER socket: the peer's identity, then the message's frames. */
  encodeEnvelope(identity: Uint8Array, message: MmopMessage): Frames {
    if (identity.byteLength === 0) {
      throw new MmopEncodeError(EncodeErrorCode.BadIdentity, 'a ROUTER identity cannot be empty', {
        kind: message.kind,
      });
    }
    const frames = this.encode(message);
    frames.unshift(toBuffer(identity));
    return frames;
  }

  /** Decodes the frames of one message. Throws MmopDecodeError, and nothing else, for any malformed input. */
  decode(frames: IncomingFrames): MmopMessage {
    try {
      return this.#decodeAt(frames, 0);
    } catch (error) {
      throw asDecodeError(error);
    }
  }

  /** Decodes what a ROUTER socket received: the sender's identity, then one message. */
  decodeEnvelope(frames: IncomingFrames): Envelope {
    try {
      if (!Array.isArray(frames)) throw notFrames();
      const identity = frames[0];
      if (frames.length < 2 || !(identity instanceof Uint8Array) || identity.byteLength === 0) {
        throw new MmopDecodeError(
          DecodeErrorCode.FrameCount,
          'expected a ROUTER envelope: identity, then frames',
        );
      }
      return { identity: toBuffer(identity), message: this.#decodeAt(frames, 1) };
    } catch (error) {
      throw asDecodeError(error);
    }
  }

  #decodeAt(frames: IncomingFrames, start: number): MmopMessage {
    if (!Array.isArray(frames)) throw notFrames();
    // The version first: a peer speaking another version may frame its messages differently, and should hear so.
    const versionFrame = frames[start];
    if (versionFrame instanceof Uint8Array) checkVersion(versionFrame);
    const count = frames.length - start;
    if (count !== 3) {
      throw new MmopDecodeError(
        DecodeErrorCode.FrameCount,
        `expected 3 frames (version, kind, body), got ${Math.max(count, 0)}`,
      );
    }
    const kindFrame = frames[start + 1];
    const bodyFrame = frames[start + 2];
    if (!(
      versionFrame instanceof Uint8Array &&
      kindFrame instanceof Uint8Array &&
      bodyFrame instanceof Uint8Array
    )) {
      throw notFrames();
    }
    const entry = lookUpKind(kindFrame);
    if (bodyFrame.byteLength > this.limits.maxBodyBytes) {
      throw new MmopDecodeError(
        DecodeErrorCode.FrameTooLarge,
        `${entry.kind} body is ${bodyFrame.byteLength} bytes, over the limit of ${this.limits.maxBodyBytes}`,
        { kind: entry.kind },
      );
    }
    let body: unknown;
    try {
      body = this.#decoder.decode(bodyFrame);
    } catch (cause) {
      throw new MmopDecodeError(
        DecodeErrorCode.MalformedBody,
        `${entry.kind} body is not valid msgpack within the limits: ${describeError(cause)}`,
        { kind: entry.kind, cause },
      );
    }
    if (
      typeof body !== 'object' ||
      body === null ||
      Array.isArray(body) ||
      body instanceof Uint8Array
    ) {
      throw new MmopDecodeError(DecodeErrorCode.BodyNotMap, `${entry.kind} body must be a map`, {
        kind: entry.kind,
      });
    }
    const problem = entry.validator.check(body);
    if (problem) {
      const requestId = (body as { requestId?: unknown }).requestId;
      throw new MmopDecodeError(
        problem.missing ? DecodeErrorCode.MissingField : DecodeErrorCode.InvalidField,
        `${entry.kind}: ${describeProblem(problem)}`,
        {
          kind: entry.kind,
          field: problem.field,
          requestId:
            typeof requestId === 'string' && requestId.length >= 1 && requestId.length <= 128
              ? requestId
              : undefined,
        },
      );
    }
    (body as { kind: MessageKind }).kind = entry.kind;
    return body as MmopMessage;
  }
}

function checkVersion(frame: Uint8Array): void {
  if (frame.byteLength === VERSION_FRAME.byteLength) {
    let same = true;
    for (let i = 0; i < frame.byteLength; i++) {
      if (frame[i] !== VERSION_FRAME[i]) {
        same = false;
        break;
      }
    }
    if (same) return;
  }
  const label =
    frame.byteLength <= MAX_LABEL_BYTES ? toBuffer(frame).toString('latin1') : undefined;
  // Any short frame that reads as an attempt at an MMOP version (`MMOP/2`, but also near-misses such as `MMOP/1 `,
  // `mmop/1` or `MMOP/1.0`) is a version this side does not speak, and the peer hears so: only `MMOP/1` exactly is
  // MMOP/1. A well-formed version is named bare; a near-miss is quoted, so its stray bytes show.
  if (label !== undefined && VERSION_ATTEMPT.test(label)) {
    throw new MmopDecodeError(
      DecodeErrorCode.UnsupportedVersion,
      `peer speaks ${/^MMOP\/\d+$/.test(label) ? label : printable(frame)}; this side speaks ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  throw new MmopDecodeError(
    DecodeErrorCode.NotMmop,
    `first frame is not an MMOP version (expected ${PROTOCOL_VERSION}, got ${printable(frame)})`,
  );
}

function lookUpKind(frame: Uint8Array): KindEntry {
  const entry =
    frame.byteLength <= MAX_LABEL_BYTES ? KINDS.get(toBuffer(frame).toString('latin1')) : undefined;
  if (!entry) {
    throw new MmopDecodeError(
      DecodeErrorCode.UnknownKind,
      `unknown MMOP/1 kind ${printable(frame)}`,
    );
  }
  return entry;
}

/** Longest field path quoted in an error: a peer's key names can be arbitrarily long. */
const MAX_QUOTED_PATH = 200;

function describeProblem(problem: BodyProblem): string {
  if (problem.field === '') return `body ${problem.reason}`;
  const field =
    problem.field.length > MAX_QUOTED_PATH
      ? `${problem.field.slice(0, MAX_QUOTED_PATH)}...`
      : problem.field;
  return problem.missing ? `field ${field} is missing` : `field ${field}: ${problem.reason}`;
}

function notFrames(): MmopDecodeError {
  return new MmopDecodeError(DecodeErrorCode.NotFrames, 'expected an array of byte frames');
}

/** Anything thrown while decoding becomes an MmopDecodeError: the promise that nothing else escapes. */
function asDecodeError(error: unknown): MmopDecodeError {
  if (error instanceof MmopDecodeError) return error;
  return new MmopDecodeError(
    DecodeErrorCode.MalformedBody,
    `malformed message: ${describeError(error)}`,
    {
      cause: error,
    },
  );
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A frame shown in an error: printable ASCII as text, anything else as hex, at most 32 bytes. */
function printable(frame: Uint8Array): string {
  const head = toBuffer(frame).subarray(0, 32);
  const text = head.toString('latin1');
  const shown = /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${head.toString('hex')}`;
  return frame.byteLength > 32 ? `${shown}... (${frame.byteLength} bytes)` : shown;
}
