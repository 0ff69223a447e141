/**
 * Z85 (ZeroMQ RFC 32), the text form of CURVE keys: every 4 bytes become 5 printable characters, so a 32-byte key is
 * 40 characters. zeromq.js takes and gives keys only as Z85 text, while a ZAP request carries the client's key as 32
 * raw bytes: these functions convert between the two. zeromq.js itself exports no codec.
 */
import { MonomythError, brandError } from './monomyth-error.js';

const ALPHABET =
  '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Character code -> digit value, -1 where the character is not in the alphabet. */
const DIGITS: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** The length of a CURVE key, in bytes and as Z85 text. */
export const CURVE_KEY_BYTES = 32;
export const CURVE_KEY_Z85_LENGTH = 40;

/** Input that is not valid Z85 (or bytes that Z85 cannot encode): the message says what and where. */
export class Z85Error extends MonomythError {
  static {
    brandError(this, '@monomyth/mmop.Z85Error');
  }
}

/** Encodes bytes whose length is a multiple of 4. Throws Z85Error otherwise. */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) {
    throw new Z85Error(`Z85 encodes a multiple of 4 bytes; got ${String(data.length)}`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let out = '';
  for (let i = 0; i < data.length; i += 4) {
    // Each big-endian 32-bit word is five base-85 digits, most significant first.
    let value = view.getUint32(i);
    let chunk = '';
    for (let j = 0; j < 5; j++) {
      chunk = ALPHABET.charAt(value % 85) + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

/** Decodes Z85 text whose length is a multiple of 5. Throws Z85Error on a bad length, character or overflow. */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) {
    throw new Z85Error(`Z85 text has a multiple of 5 characters; got ${String(text.length)}`);
  }
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? (DIGITS[code] ?? -1) : -1;
      if (digit < 0) {
        throw new Z85Error(
          `not a Z85 character at position ${String(i + j)}: ${JSON.stringify(text[i + j])}`,
        );
      }
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) {
      throw new Z85Error(`Z85 group at position ${String(i)} is larger than 32 bits`);
    }
    out[o] = value >>> 24;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}

/** A CURVE key as 32 raw bytes (as ZAP delivers it) -> its 40-character Z85 text (as zeromq.js and files use it). */
export function curveKeyToZ85(key: Uint8Array): string {
  if (key.length !== CURVE_KEY_BYTES) {
    throw new Z85Error(
      `a CURVE key is ${String(CURVE_KEY_BYTES)} bytes; got ${String(key.length)}`,
    );
  }
  return z85Encode(key);
}

/** A CURVE key's 40-character Z85 text -> its 32 raw bytes. Throws Z85Error for anything else. */
export function curveKeyFromZ85(text: string): Uint8Array {
  if (text.length !== CURVE_KEY_Z85_LENGTH) {
    throw new Z85Error(
      `a CURVE key is ${String(CURVE_KEY_Z85_LENGTH)} Z85 characters; got ${String(text.length)}`,
    );
  }
  return z85Decode(text);
}
