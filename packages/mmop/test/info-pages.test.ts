/**
 * Paged WORKER-INFO and RECIPE-INFO: the optional `offset`, `limit` and `total` fields, byte for byte as docs/mmop.md
 * records them, and their bounds.
 */
import { describe, expect, it } from 'vitest';
import { DecodeErrorCode, MAX_INFO_PAGE, decode, encode } from '../src/index.js';
import type { MmopDecodeError, MmopMessage } from '../src/index.js';

const REQUEST: MmopMessage = { kind: 'RECIPE-INFO', requestId: 'req-6', offset: 500, limit: 500 };
const REQUEST_FRAMES = [
  '4d4d4f502f31',
  '5245434950452d494e464f',
  '83a9726571756573744964a57265712d36a66f6666736574cd01f4a56c696d6974cd01f4',
];
const RESPONSE: MmopMessage = {
  kind: 'INFO-RESPONSE',
  requestId: 'req-6',
  recipes: [
    {
      type: 'TEST-NODE1',
      desired: 2,
      running: 2,
      outstanding: 0,
      completed: 0,
      failed: 0,
      workers: 1,
    },
  ],
  total: 501,
};
const RESPONSE_FRAMES = [
  '4d4d4f502f31',
  '494e464f2d524553504f4e5345',
  '83a9726571756573744964a57265712d36a7726563697065739187a474797065aa544553542d4e4f444531a76465736972656402a772756e6e696e6702ab6f75747374616e64696e6700a9636f6d706c6574656400a66661696c656400a7776f726b65727301a5746f74616ccd01f5',
];

const hex = (frames: Buffer[]): string[] => frames.map((frame) => frame.toString('hex'));
const bytes = (frames: string[]): Buffer[] => frames.map((frame) => Buffer.from(frame, 'hex'));

describe('mmop info pages', () => {
  it('golden - a paged RECIPE-INFO encodes to, and decodes from, the recorded bytes', () => {
    expect(hex(encode(REQUEST))).toEqual(REQUEST_FRAMES);
    expect(decode(bytes(REQUEST_FRAMES))).toEqual(REQUEST);
  });

  it('golden - an INFO-RESPONSE page with its total encodes to, and decodes from, the recorded bytes', () => {
    expect(hex(encode(RESPONSE))).toEqual(RESPONSE_FRAMES);
    expect(decode(bytes(RESPONSE_FRAMES))).toEqual(RESPONSE);
  });

  it('pages - limit is 1..MAX_INFO_PAGE and offset a whole number, else INVALID_FIELD', () => {
    expect(MAX_INFO_PAGE).toBe(10_000);
    const bads: Record<string, string | number>[] = [
      { limit: 0 },
      { limit: MAX_INFO_PAGE + 1 },
      { limit: 1.5 },
      { offset: -1 },
      { offset: 'next' },
    ];
    for (const bad of bads) {
      const frames = encode({ kind: 'WORKER-INFO', requestId: 'r' });
      // Re-encode the body with the bad field by hand: encode itself refuses it.
      const body = { requestId: 'r', ...bad };
      expect(() => encode({ kind: 'WORKER-INFO', ...body } as MmopMessage)).toThrow();
      const error = (() => {
        try {
          decode([frames[0]!, frames[1]!, msgpackMap(body)]);
        } catch (caught) {
          return caught as MmopDecodeError;
        }
        throw new Error(`accepted ${JSON.stringify(bad)}`);
      })();
      expect(error.code).toBe(DecodeErrorCode.InvalidField);
      expect(error.requestId).toBe('r');
    }
  });
});

/** A small msgpack map of strings and numbers, for bodies encode refuses to produce. */
function msgpackMap(map: Record<string, string | number>): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80 + Object.keys(map).length])];
  const str = (text: string): Buffer =>
    Buffer.concat([Buffer.from([0xa0 + Buffer.byteLength(text)]), Buffer.from(text)]);
  for (const [key, value] of Object.entries(map)) {
    parts.push(str(key));
    if (typeof value === 'string') parts.push(str(value));
    else if (Number.isInteger(value) && value >= 0 && value < 0x10000) {
      const b = Buffer.alloc(3);
      b[0] = 0xcd;
      b.writeUInt16BE(value, 1);
      parts.push(b);
    } else if (Number.isInteger(value) && value < 0 && value >= -32)
      parts.push(Buffer.from([value & 0xff]));
    else {
      const b = Buffer.alloc(9);
      b[0] = 0xcb;
      b.writeDoubleBE(value, 1);
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}
