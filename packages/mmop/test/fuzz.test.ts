/**
 * Whatever arrives, decode throws nothing but MmopDecodeError. 100,000+ frame sets: random bytes, random frame counts,
 * and valid messages with bytes flipped, inserted, cut or frames swapped, and plausible bodies of the wrong shape.
 * A frame set that does decode must hold a message that encodes again (the validator let nothing invalid through).
 */
import fc from 'fast-check';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { MESSAGE_KINDS, MmopCodec, MmopDecodeError } from '../src/index.js';
import type { MmopMessage } from '../src/index.js';
import { SAMPLES } from './samples.js';

const codec = new MmopCodec({
  maxBodyBytes: 64 * 1024,
  maxStringBytes: 4096,
  maxArrayLength: 1000,
  maxMapSize: 256,
});
const seeds: Buffer[][] = MESSAGE_KINDS.map((kind) => codec.encode(SAMPLES[kind]));

/** A small fast PRNG (xorshift32), seeded, so a failure is reproducible from the printed seed. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

function mutate(frames: Buffer[], random: () => number): unknown[] {
  const out: Buffer[] = frames.map((frame) => Buffer.from(frame));
  const pick = (n: number): number => Math.floor(random() * n);
  const operations = 1 + pick(4);
  for (let i = 0; i < operations; i++) {
    if (out.length === 0) out.push(randomBytes(pick(8), random));
    const index = pick(out.length);
    const frame = out[index]!;
    switch (pick(8)) {
      case 0: // flip a byte
        if (frame.length > 0) frame[pick(frame.length)] = pick(256);
        break;
      case 1: // cut the frame short
        out[index] = frame.subarray(0, pick(frame.length + 1));
        break;
      case 2: // insert random bytes
        out[index] = Buffer.concat([
          frame.subarray(0, pick(frame.length + 1)),
          randomBytes(1 + pick(8), random),
          frame,
        ]);
        break;
      case 3: // drop a frame
        out.splice(index, 1);
        break;
      case 4: // duplicate a frame
        out.splice(index, 0, frame);
        break;
      case 5: // swap two frames
        out[index] = out[pick(out.length)]!;
        break;
      case 6: // a length prefix claiming far more than is there
        if (frame.length > 2) frame.writeUInt8(0xdd, pick(frame.length - 1));
        break;
      default: // body of another kind
        out[index] = seeds[pick(seeds.length)]![2]!;
    }
  }
  return out;
}

function randomBytes(length: number, random: () => number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

function decodeOnlyThrowsDecodeErrors(frames: unknown): 'ok' | 'rejected' {
  try {
    const message = codec.decode(frames as Buffer[]);
    // Whatever got through must be a message this side could send again.
    codec.encode(message as MmopMessage);
    return 'ok';
  } catch (error) {
    if (!(error instanceof MmopDecodeError)) throw error;
    expect(typeof error.code).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
    return 'rejected';
  }
}

describe('mmop fuzz', () => {
  it('fuzz - 60,000 mutated valid messages yield a message or an MmopDecodeError, nothing else', () => {
    const seed = Date.now() >>> 0;
    const random = rng(seed);
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < 60_000; i++) {
      const frames = mutate(seeds[i % seeds.length]!, random);
      try {
        outcomes[decodeOnlyThrowsDecodeErrors(frames)] += 1;
      } catch (error) {
        throw new Error(`seed ${seed}, iteration ${i}: ${String(error)}`, { cause: error });
      }
    }
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(outcomes.rejected).toBeGreaterThan(10_000);
    expect(outcomes.ok).toBeGreaterThan(10);
  });

  it('fuzz - 30,000 random frame sets of random bytes are all rejected with MmopDecodeError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 5 }), (frames) => {
        expect(decodeOnlyThrowsDecodeErrors(frames.map((frame) => Buffer.from(frame)))).toBe(
          'rejected',
        );
      }),
      { numRuns: 30_000 },
    );
  });

  it('fuzz - 10,000 well-framed messages with arbitrary msgpack bodies never escape as another error', () => {
    const anyValue = fc.anything({
      maxDepth: 3,
      withNullPrototype: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
      withBigInt: true,
    });
    fc.assert(
      fc.property(fc.constantFrom(...MESSAGE_KINDS), anyValue, (kind, value) => {
        let body: Uint8Array;
        try {
          body = msgpackEncode(value, { ignoreUndefined: true });
        } catch {
          return; // not encodable as msgpack at all
        }
        decodeOnlyThrowsDecodeErrors([Buffer.from('MMOP/1'), Buffer.from(kind), Buffer.from(body)]);
      }),
      { numRuns: 10_000 },
    );
  });

  it('fuzz - input that is not an array of byte frames is rejected with MmopDecodeError', () => {
    for (const input of [
      undefined,
      null,
      42,
      'MMOP/1',
      {},
      [1, 2, 3],
      ['MMOP/1', 'PING', 'x'],
      new Uint8Array(3),
    ]) {
      expect(decodeOnlyThrowsDecodeErrors(input)).toBe('rejected');
    }
  });
});
