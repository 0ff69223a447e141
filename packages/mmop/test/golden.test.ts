/**
 * Golden vectors: the exact bytes of one sample message of every kind, checked into the repository. A change to the
 * wire format, deliberate or not, fails here; a deliberate one regenerates the file with `pnpm golden:update` and the
 * diff shows exactly which bytes moved.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MESSAGE_KINDS, decode, encode } from '../src/index.js';
import { SAMPLES } from './samples.js';

const GOLDEN_FILE = new URL('./golden/mmop-1.json', import.meta.url);

type Golden = Record<string, { frames: string[] }>;

function current(): Golden {
  return Object.fromEntries(
    MESSAGE_KINDS.map((kind) => [
      kind,
      { frames: encode(SAMPLES[kind]).map((frame) => frame.toString('hex')) },
    ]),
  );
}

if (process.env.MMOP_UPDATE_GOLDEN === '1') {
  writeFileSync(GOLDEN_FILE, `${JSON.stringify(current(), null, 2)}\n`);
}

const golden = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Golden;

describe('mmop golden vectors', () => {
  it('golden - every kind has a vector, and no vector names a kind that does not exist', () => {
    expect(Object.keys(golden).sort()).toEqual([...MESSAGE_KINDS].sort());
  });

  it.each(MESSAGE_KINDS)('golden - %s encodes to the recorded bytes', (kind) => {
    const frames = encode(SAMPLES[kind]).map((frame) => frame.toString('hex'));
    expect(frames).toEqual(golden[kind]?.frames);
  });

  it.each(MESSAGE_KINDS)('golden - the recorded bytes of %s decode to the sample', (kind) => {
    const frames = golden[kind]!.frames.map((hex) => Buffer.from(hex, 'hex'));
    expect(decode(frames)).toEqual(SAMPLES[kind]);
  });
});
