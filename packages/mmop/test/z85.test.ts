/**
 * Z85: the RFC 32 vector, libzmq's published CURVE test keys, round trips and every kind of bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Z85Error, curveKeyFromZ85, curveKeyToZ85, z85Decode, z85Encode } from '../src/index.js';

/** The server key of libzmq's CURVE tests and the zguide's Ironhouse example, and its bytes as pyzmq decodes them. */
const SERVER_PUBLIC = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
const SERVER_PUBLIC_HEX = '54fcba24e93249969316fb617c872bb0c1d1ff14800427c594cbfacf1bc2d652';

describe('z85', () => {
  it('z85 - encodes the RFC 32 test vector to HelloWorld and back', () => {
    const bytes = Buffer.from('864fd26fb559f75b', 'hex');
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect(Buffer.from(z85Decode('HelloWorld')).toString('hex')).toBe('864fd26fb559f75b');
  });

  it('z85 - a CURVE key decodes to the 32 bytes libzmq gives and encodes back', () => {
    const raw = curveKeyFromZ85(SERVER_PUBLIC);
    expect(Buffer.from(raw).toString('hex')).toBe(SERVER_PUBLIC_HEX);
    expect(curveKeyToZ85(raw)).toBe(SERVER_PUBLIC);
  });

  it('z85 - encodes the extremes of a word (all zero, all ones)', () => {
    expect(z85Encode(new Uint8Array(4))).toBe('00000');
    expect(z85Encode(new Uint8Array([255, 255, 255, 255]))).toBe('%nSc0');
    expect(Array.from(z85Decode('%nSc0'))).toEqual([255, 255, 255, 255]);
  });

  it('z85 - encodes a view into a larger buffer from its own offset', () => {
    const backing = Buffer.from('00864fd26fb559f75b00', 'hex');
    expect(z85Encode(backing.subarray(1, 9))).toBe('HelloWorld');
  });

  it('z85 - round trips any multiple of 4 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (any) => {
        const bytes = any.subarray(0, any.length - (any.length % 4));
        expect(Array.from(z85Decode(z85Encode(bytes)))).toEqual(Array.from(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        expect(Array.from(curveKeyFromZ85(curveKeyToZ85(key)))).toEqual(Array.from(key));
      }),
    );
  });

  it('z85 - refuses lengths that are not whole groups', () => {
    expect(() => z85Encode(new Uint8Array(5))).toThrow(Z85Error);
    expect(() => z85Decode('Hello1')).toThrow(/multiple of 5/);
  });

  it('z85 - refuses characters outside the alphabet, naming the position', () => {
    expect(() => z85Decode('Hello Worl')).toThrow(/position 5/);
    expect(() => z85Decode('Hell"World')).toThrow(Z85Error);
    expect(() => z85Decode('Hellé0000W')).toThrow(Z85Error);
  });

  it('z85 - refuses a group larger than 32 bits', () => {
    // '%nSc0' is 2^32 - 1; '%nSc1' is one more.
    expect(() => z85Decode('%nSc1')).toThrow(/larger than 32 bits/);
    expect(() => z85Decode('#####')).toThrow(Z85Error);
  });

  it('z85 - a CURVE key is exactly 32 bytes or 40 characters', () => {
    expect(() => curveKeyToZ85(new Uint8Array(28))).toThrow(/32 bytes/);
    expect(() => curveKeyFromZ85(SERVER_PUBLIC.slice(0, 35))).toThrow(/40 Z85 characters/);
    expect(() => curveKeyFromZ85(`${SERVER_PUBLIC}00000`)).toThrow(Z85Error);
  });
});
