import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MESSAGE_KINDS,
  MmopCodec,
  decode,
  decodeEnvelope,
  encode,
  encodeEnvelope,
} from '../src/index.js';
import { arbitraryMessage } from './arbitraries.js';

describe('mmop round trip', () => {
  it.each(MESSAGE_KINDS)('codec - %s decodes to the message it encoded', (kind) => {
    fc.assert(
      fc.property(arbitraryMessage(kind), (message) => {
        const frames = encode(message);
        expect(frames).toHaveLength(3);
        expect(frames[0]!.toString()).toBe('MMOP/1');
        expect(frames[1]!.toString()).toBe(kind);
        expect(decode(frames)).toEqual(message);
      }),
      { numRuns: 200 },
    );
  });

  it('codec - a ROUTER envelope carries the identity beside the message', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        arbitraryMessage('PING'),
        (identity, message) => {
          const frames = encodeEnvelope(identity, message);
          expect(frames).toHaveLength(4);
          const envelope = decodeEnvelope(frames);
          expect([...envelope.identity]).toEqual([...identity]);
          expect(envelope.message).toEqual(message);
        },
      ),
    );
  });

  it('codec - frames given as plain Uint8Arrays decode like Buffers', () => {
    const frames = encode({ kind: 'PING', requestId: 'r1' }).map((frame) => new Uint8Array(frame));
    expect(decode(frames)).toEqual({ kind: 'PING', requestId: 'r1' });
  });

  it('codec - optional fields left undefined are not sent', () => {
    const frames = encode({
      kind: 'ERROR',
      requestId: undefined,
      status: 400,
      code: 'X',
      reason: 'r',
    });
    expect(decode(frames)).toEqual({ kind: 'ERROR', status: 400, code: 'X', reason: 'r' });
    expect(Object.hasOwn(decode(frames), 'requestId')).toBe(false);
  });

  it('codec - fields beyond the schema are passed through on decode (fields are a floor)', () => {
    const codec = new MmopCodec();
    const frames = codec.encode({ kind: 'PING', requestId: 'r1' });
    // A newer peer adds a field: re-encode the body with it.
    const body = Buffer.concat([
      Buffer.from([0x82]),
      frames[2]!.subarray(1),
      Buffer.from([0xa5, ...Buffer.from('extra'), 0x2a]),
    ]);
    expect(codec.decode([frames[0]!, frames[1]!, body])).toEqual({
      kind: 'PING',
      requestId: 'r1',
      extra: 42,
    });
  });
});
