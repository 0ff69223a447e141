import { describe, expect, it } from 'vitest';
import { parseHttpAddress } from './http-address.js';

describe('--http address', () => {
  it('parseHttpAddress - HOST:PORT, [IPv6]:PORT, :PORT and PORT (loopback); anything else refused by name', () => {
    expect(parseHttpAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseHttpAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseHttpAddress(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseHttpAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseHttpAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    for (const bad of ['', 'host', 'host:', 'host:65536', 'host:-1', 'a:b:1', 'host:1.5'])
      expect(() => parseHttpAddress(bad)).toThrow(`got '${bad}'`);
  });
});
