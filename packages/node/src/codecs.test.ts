import { describe, expect, it } from 'vitest';
import { bytesCodec, codecByName, jsonCodec, msgpackCodec, stringCodec } from './codecs.js';

describe('body codecs', () => {
  it('codec - json, string, bytes and msgpack round-trip their values', () => {
    const value = { text: 'héllo', n: [1, 2.5, null], nested: { ok: true } };
    expect(jsonCodec.decode(jsonCodec.encode(value))).toEqual(value);
    expect(stringCodec.decode(stringCodec.encode('Grüße'))).toBe('Grüße');
    const bytes = new Uint8Array([0, 255, 7]);
    expect(bytesCodec.decode(bytesCodec.encode(bytes))).toBe(bytes);
    const binary = { bin: new Uint8Array([1, 2, 3]), when: new Date(0) };
    expect(msgpackCodec.decode(msgpackCodec.encode(binary))).toEqual(binary);
  });

  it('codec - refuses what it cannot carry instead of writing something else', () => {
    expect(() => jsonCodec.encode(undefined)).toThrow(/cannot encode undefined/);
    expect(() => jsonCodec.encode(10n)).toThrow();
    expect(() => jsonCodec.decode(new Uint8Array([0x22, 0xff, 0x22]))).toThrow(); // not UTF-8
    expect(() => stringCodec.encode(5 as unknown as string)).toThrow(/encodes strings/);
    expect(() => bytesCodec.encode('x' as unknown as Uint8Array)).toThrow(/encodes Uint8Arrays/);
    expect(() => msgpackCodec.decode(new Uint8Array([0xc1]))).toThrow();
  });

  it('codec - built-ins are found by name', () => {
    expect(['json', 'string', 'bytes', 'msgpack'].map((name) => codecByName(name)?.name)).toEqual([
      'json',
      'string',
      'bytes',
      'msgpack',
    ]);
    expect(codecByName('yaml')).toBeUndefined();
  });
});
