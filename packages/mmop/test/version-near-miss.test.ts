/**
 * Only `MMOP/1` exactly is MMOP/1: every other first frame that reads as an attempt at an MMOP version, near-misses
 * such as `MMOP/1 ` included, is UNSUPPORTED_VERSION (which a master answers with ERROR 505), never NOT_MMOP (which
 * gets no answer). The golden vector at the end is the one in docs/mmop.md §7.
 */
import { describe, expect, it } from 'vitest';
import { DecodeErrorCode, MmopDecodeError, Status, decode, encode } from '../src/index.js';

const PING_BODY = Buffer.from('81a9726571756573744964a57265712d33', 'hex'); // { requestId: 'req-3' }

function decodeError(version: Buffer): MmopDecodeError {
  try {
    decode([version, Buffer.from('PING'), PING_BODY]);
  } catch (error) {
    expect(error).toBeInstanceOf(MmopDecodeError);
    return error as MmopDecodeError;
  }
  throw new Error(
    `decode accepted the version frame ${JSON.stringify(version.toString('latin1'))}`,
  );
}

describe('mmop version near-misses', () => {
  it.each([
    ['MMOP/1 ', 'peer speaks "MMOP/1 "; this side speaks MMOP/1'],
    [' MMOP/1', 'peer speaks " MMOP/1"; this side speaks MMOP/1'],
    ['MMOP/1\n', 'peer speaks 0x4d4d4f502f310a; this side speaks MMOP/1'],
    ['MMOP/1\0', 'peer speaks 0x4d4d4f502f3100; this side speaks MMOP/1'],
    ['mmop/1', 'peer speaks "mmop/1"; this side speaks MMOP/1'],
    ['MMOP/1.0', 'peer speaks "MMOP/1.0"; this side speaks MMOP/1'],
    ['MMOP/01', 'peer speaks MMOP/01; this side speaks MMOP/1'],
    ['MMOP/', 'peer speaks "MMOP/"; this side speaks MMOP/1'],
    ['MMOP', 'peer speaks "MMOP"; this side speaks MMOP/1'],
    ['MMOP/2', 'peer speaks MMOP/2; this side speaks MMOP/1'],
  ])('version - %j is UNSUPPORTED_VERSION, the stray bytes shown', (version, message) => {
    const error = decodeError(Buffer.from(version, 'latin1'));
    expect(error.code).toBe(DecodeErrorCode.UnsupportedVersion);
    expect(error.message).toBe(message);
  });

  it('version - a frame that is no version attempt at all stays NOT_MMOP', () => {
    for (const frame of ['HTTP/1.1', 'MMO/1', 'xMMOP/1', '']) {
      expect(decodeError(Buffer.from(frame)).code).toBe(DecodeErrorCode.NotMmop);
    }
    // Over 64 bytes a first frame is never read as text, whatever it starts with.
    expect(decodeError(Buffer.from(`MMOP/1${' '.repeat(59)}`)).code).toBe(DecodeErrorCode.NotMmop);
  });

  it('version - MMOP/1 exactly still decodes', () => {
    expect(decode([Buffer.from('MMOP/1'), Buffer.from('PING'), PING_BODY])).toEqual({
      kind: 'PING',
      requestId: 'req-3',
    });
  });

  it('golden - the ERROR 505 a master answers `MMOP/1 ` with has the recorded bytes', () => {
    const error = decodeError(Buffer.from('MMOP/1 '));
    const frames = encode({
      kind: 'ERROR',
      status: Status.VersionNotSupported,
      code: error.code,
      reason: error.message,
    }).map((frame) => frame.toString('hex'));
    expect(frames).toEqual([
      '4d4d4f502f31',
      '4552524f52',
      '83a6737461747573cd01f9a4636f6465b3554e535550504f525445445f56455253494f4ea6726561736f6ed92e7065657220737065616b7320224d4d4f502f3120223b2074686973207369646520737065616b73204d4d4f502f31',
    ]);
  });
});
