import { encode as msgpackEncode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import {
  DecodeErrorCode,
  EncodeErrorCode,
  MmopCodec,
  MmopDecodeError,
  MmopEncodeError,
  decode,
  encode,
  encodeEnvelope,
} from '../src/index.js';
import { SAMPLES } from './samples.js';

function frames(version: string, kind: string, body: unknown): Buffer[] {
  return [Buffer.from(version), Buffer.from(kind), Buffer.from(msgpackEncode(body))];
}

function decodeError(input: unknown, codec = new MmopCodec()): MmopDecodeError {
  try {
    codec.decode(input as Buffer[]);
  } catch (error) {
    expect(error).toBeInstanceOf(MmopDecodeError);
    return error as MmopDecodeError;
  }
  throw new Error('decode accepted the input');
}

describe('mmop decode errors', () => {
  it('decode - a peer speaking another MMOP version is told which versions this side speaks', () => {
    const error = decodeError(frames('MMOP/0', 'PING', { requestId: 'r' }));
    expect(error.code).toBe(DecodeErrorCode.UnsupportedVersion);
    expect(error.message).toBe('peer speaks MMOP/0; this side speaks MMOP/1');
    // Checked before the frame count: MMOP/0 had no body frame for PING.
    expect(decodeError([Buffer.from('MMOP/0'), Buffer.from('PING')]).code).toBe(
      DecodeErrorCode.UnsupportedVersion,
    );
  });

  it('decode - a first frame that is no MMOP version at all is NOT_MMOP, shown safely', () => {
    const error = decodeError([
      Buffer.from([0, 1, 2, 0xff]),
      Buffer.from('PING'),
      Buffer.from([0x80]),
    ]);
    expect(error.code).toBe(DecodeErrorCode.NotMmop);
    expect(error.message).toContain('0x000102ff');
  });

  it('decode - an unknown kind names the kind', () => {
    const error = decodeError(frames('MMOP/1', 'LAUNCH-ROCKET', {}));
    expect(error.code).toBe(DecodeErrorCode.UnknownKind);
    expect(error.message).toContain('"LAUNCH-ROCKET"');
  });

  it('decode - a frame count other than three is FRAME_COUNT', () => {
    expect(decodeError([Buffer.from('MMOP/1'), Buffer.from('PING')]).code).toBe(
      DecodeErrorCode.FrameCount,
    );
    expect(decodeError([...encode(SAMPLES.PING), Buffer.alloc(0)]).code).toBe(
      DecodeErrorCode.FrameCount,
    );
    expect(decodeError([]).message).toBe('expected 3 frames (version, kind, body), got 0');
  });

  it('decode - a missing field is MISSING_FIELD and names the field, keeping no requestId it lacks', () => {
    const error = decodeError(
      frames('MMOP/1', 'START-NODE-REQUEST', { requestId: 'r7', type: 'A' }),
    );
    expect(error).toMatchObject({
      code: DecodeErrorCode.MissingField,
      kind: 'START-NODE-REQUEST',
      field: 'count',
    });
    expect(error.message).toBe('START-NODE-REQUEST: field count is missing');
    // The request id was readable, so a server can answer the malformed request.
    expect(error.requestId).toBe('r7');
  });

  it('decode - a field of the wrong type is INVALID_FIELD with its path inside nested arrays', () => {
    const body = structuredClone(SAMPLES.HEARTBEAT) as Record<string, unknown>;
    delete body.kind;
    (body.nodes as Record<string, unknown>[])[0]!.processed = 'many';
    const error = decodeError(frames('MMOP/1', 'HEARTBEAT', body));
    expect(error).toMatchObject({
      code: DecodeErrorCode.InvalidField,
      field: 'nodes[0].processed',
    });
    expect(error.message).toMatch(/^HEARTBEAT: field nodes\[0\]\.processed: expected integer/);
  });

  it('decode - numbers out of bounds are refused (negative counts, fractional integers, zero count)', () => {
    expect(decodeError(frames('MMOP/1', 'SHUTDOWN', { drainTimeoutMs: -1 })).field).toBe(
      'drainTimeoutMs',
    );
    expect(decodeError(frames('MMOP/1', 'SHUTDOWN', { drainTimeoutMs: 1.5 })).field).toBe(
      'drainTimeoutMs',
    );
    const zero = decodeError(
      frames('MMOP/1', 'START-NODE-REQUEST', { requestId: 'r', type: 'A', count: 0 }),
    );
    expect(zero.field).toBe('count');
  });

  it('decode - a recipe holding binary, a timestamp or deep nesting is refused with the path inside the recipe', () => {
    const binary = decodeError(
      frames('MMOP/1', 'START-NODE', {
        requestId: 'r',
        recipe: { type: 'A', key: new Uint8Array(2) },
      }),
    );
    expect(binary).toMatchObject({ code: DecodeErrorCode.InvalidField, field: 'recipe.key' });
    expect(binary.message).toContain('expected a JSON value, got binary');
    const date = decodeError(
      frames('MMOP/1', 'READY', { ...SAMPLES.READY, recipes: [{ type: 'A', at: [new Date(0)] }] }),
    );
    expect(date.field).toBe('recipes[0].at[0]');
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(
      decodeError(frames('MMOP/1', 'START-NODE', { requestId: 'r', recipe: { type: 'A', deep } }))
        .message,
    ).toContain('nests deeper than 32 levels');
  });

  it('decode - a body that is not a map is BODY_NOT_MAP; broken msgpack is MALFORMED_BODY', () => {
    expect(decodeError(frames('MMOP/1', 'PING', ['r'])).code).toBe(DecodeErrorCode.BodyNotMap);
    expect(decodeError(frames('MMOP/1', 'PING', null)).code).toBe(DecodeErrorCode.BodyNotMap);
    const truncated = [Buffer.from('MMOP/1'), Buffer.from('PING'), Buffer.from([0x81, 0xa9])];
    expect(decodeError(truncated).code).toBe(DecodeErrorCode.MalformedBody);
    const trailing = [
      Buffer.from('MMOP/1'),
      Buffer.from('PING'),
      Buffer.concat([encode(SAMPLES.PING)[2]!, Buffer.from([0xc0])]),
    ];
    expect(decodeError(trailing).code).toBe(DecodeErrorCode.MalformedBody);
  });

  it('decode - limits: an oversized body, string or array is refused before it costs memory', () => {
    const codec = new MmopCodec({ maxBodyBytes: 1024, maxStringBytes: 16, maxArrayLength: 4 });
    expect(decodeError(frames('MMOP/1', 'BYE', { reason: 'x'.repeat(2000) }), codec).code).toBe(
      DecodeErrorCode.FrameTooLarge,
    );
    expect(decodeError(frames('MMOP/1', 'BYE', { reason: 'x'.repeat(17) }), codec).code).toBe(
      DecodeErrorCode.MalformedBody,
    );
    const nodes = Array.from({ length: 5 }, () => SAMPLES.HEARTBEAT.nodes[0]);
    expect(
      decodeError(
        frames('MMOP/1', 'HEARTBEAT', { masterEpoch: 'e', nodes }),
        new MmopCodec({ maxArrayLength: 4 }),
      ).code,
    ).toBe(DecodeErrorCode.MalformedBody);
    // A length prefix claiming 4 GiB of string in a 10-byte frame.
    const lying = [
      Buffer.from('MMOP/1'),
      Buffer.from('BYE'),
      Buffer.from([0x81, 0xa6, ...Buffer.from('reason'), 0xdb, 0xff, 0xff, 0xff, 0xff]),
    ];
    expect(decodeError(lying).code).toBe(DecodeErrorCode.MalformedBody);
  });

  it('decode - a long field path is cut short in the message; an empty requestId is not echoed', () => {
    const key = 'k'.repeat(9000);
    const error = decodeError(
      frames('MMOP/1', 'START-NODE', { requestId: 'r', recipe: { type: 'A', [key]: new Date(0) } }),
    );
    expect(error.field).toBe(`recipe.${key}`);
    expect(error.message.length).toBeLessThan(400);
    expect(error.requestId).toBe('r');
    expect(decodeError(frames('MMOP/1', 'PING', { requestId: '' })).requestId).toBeUndefined();
  });

  it('decode - a __proto__ key cannot pollute prototypes', () => {
    const body = Buffer.from([
      0x82,
      0xa9,
      ...Buffer.from('requestId'),
      0xa1,
      0x72,
      0xa9,
      ...Buffer.from('__proto__'),
      0x81,
      0xa1,
      0x78,
      0x01,
    ]);
    try {
      decode([Buffer.from('MMOP/1'), Buffer.from('PING'), body]);
    } catch (error) {
      expect(error).toBeInstanceOf(MmopDecodeError);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('decode - instanceof holds for an error made by another copy of the package (brand check)', () => {
    const error = decodeError(frames('MMOP/0', 'PING', {}));
    const foreign = Object.assign(Object.create(Error.prototype) as object, {
      [Symbol.for('@monomyth/mmop.MmopDecodeError')]: true,
    });
    expect(foreign instanceof MmopDecodeError).toBe(true);
    expect(new Error('x') instanceof MmopDecodeError).toBe(false);
    expect(error instanceof MmopEncodeError).toBe(false);
  });
});

describe('mmop encode errors', () => {
  it('encode - a message that would not decode fails here, naming the field', () => {
    expect(() =>
      encode({ kind: 'START-NODE-REQUEST', requestId: 'r', type: 'A', count: 0 }),
    ).toThrow(expect.objectContaining({ code: EncodeErrorCode.InvalidField, field: 'count' }));
    expect(() => encode({ kind: 'PING' } as never)).toThrow(
      expect.objectContaining({
        code: EncodeErrorCode.MissingField,
        message: 'cannot encode PING: field requestId is missing',
      }),
    );
    expect(() => encode({ kind: 'NOPE' } as never)).toThrow(MmopEncodeError);
    expect(() =>
      encode({ kind: 'HEARTBEAT-ACK', masterEpoch: 'e', extra: Number.NaN } as never),
    ).not.toThrow();
    expect(() =>
      encode({
        ...SAMPLES.HEARTBEAT,
        nodes: [{ ...SAMPLES.HEARTBEAT.nodes[0]!, latencyP50Ms: Number.NaN }],
      }),
    ).toThrow(expect.objectContaining({ field: 'nodes[0].latencyP50Ms' }));
  });

  it('encode - an empty ROUTER identity is refused', () => {
    expect(() => encodeEnvelope(new Uint8Array(0), SAMPLES.PING)).toThrow(
      expect.objectContaining({ code: EncodeErrorCode.BadIdentity }),
    );
  });

  it('encode - a body over the size limit is refused', () => {
    const codec = new MmopCodec({ maxBodyBytes: 64 });
    expect(() => codec.encode({ kind: 'BYE', reason: 'x'.repeat(100) })).toThrow(
      expect.objectContaining({ code: EncodeErrorCode.FrameTooLarge }),
    );
  });
});
