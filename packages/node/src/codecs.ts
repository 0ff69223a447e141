/**
 * Body codecs: how a node turns the bytes of a delivery into the value its transform sees, and its outputs back into
 * bytes. Adapters only ever see bytes. A node uses one codec for what it reads and what it writes, so nodes that share
 * a queue agree on its codec. The instances here are shared: encoders and decoders are reused, never made per message.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';

export interface BodyCodec<T = unknown> {
  /** Recorded in recipes: `json`, `string`, `bytes`, `msgpack`, or a custom codec's own name. */
  readonly name: string;
  /** Throws for a value it cannot encode; the node fails that message at step `place`. */
  encode(value: T): Uint8Array;
  /** Throws for bytes it cannot decode; the node fails that message at step `pull`. */
  decode(body: Uint8Array): T;
}

/** The codecs every node knows by name. */
export type CodecName = 'json' | 'string' | 'bytes' | 'msgpack';

// fatal: malformed UTF-8 is an error to report, not text to repair with replacement characters.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON text in UTF-8: the default. */
export const jsonCodec: BodyCodec = Object.freeze({
  name: 'json',
  encode(value: unknown): Uint8Array {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`JSON cannot encode ${typeof value}`);
    return Buffer.from(text);
  },
  decode(body: Uint8Array): unknown {
    return JSON.parse(utf8.decode(body));
  },
});

/** UTF-8 text: the value is the string. */
export const stringCodec: BodyCodec<string> = Object.freeze({
  name: 'string',
  encode(value: string): Uint8Array {
    if (typeof value !== 'string')
      throw new TypeError(`the string codec encodes strings, got ${typeof value}`);
    return Buffer.from(value);
  },
  decode(body: Uint8Array): string {
    return utf8.decode(body);
  },
});

/** The bytes as they are. */
export const bytesCodec: BodyCodec<Uint8Array> = Object.freeze({
  name: 'bytes',
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array))
      throw new TypeError(`the bytes codec encodes Uint8Arrays, got ${typeof value}`);
    return value;
  },
  decode(body: Uint8Array): Uint8Array {
    return body;
  },
});

const msgpackEncoder = new Encoder();
const msgpackDecoder = new Decoder();

/** MessagePack: smaller than JSON, and carries bytes and dates. */
export const msgpackCodec: BodyCodec = Object.freeze({
  name: 'msgpack',
  encode(value: unknown): Uint8Array {
    return msgpackEncoder.encode(value);
  },
  decode(body: Uint8Array): unknown {
    return msgpackDecoder.decode(body);
  },
});

const BY_NAME: ReadonlyMap<string, BodyCodec> = new Map<string, BodyCodec>([
  ['json', jsonCodec],
  ['string', stringCodec as BodyCodec],
  ['bytes', bytesCodec as BodyCodec],
  ['msgpack', msgpackCodec],
]);

/** The built-in codec of that name, or undefined. */
export function codecByName(name: string): BodyCodec | undefined {
  return BY_NAME.get(name);
}

/** The names of the built-in codecs. */
export const CODEC_NAMES: readonly CodecName[] = Object.freeze([
  'json',
  'string',
  'bytes',
  'msgpack',
]);
