/**
 * `--http` addresses, parsed as the worker parses its own (packages/worker/src/http/worker-http.ts): `HOST:PORT`,
 * `[IPV6]:PORT`, `:PORT` or `PORT`, the last two on the loopback. The master does not depend on the worker package,
 * so the few lines live here too.
 */
import type { OptionChecker } from '@monomyth/mmop';

/** Where the endpoints listen when `--http` names only a port. Off the loopback only when asked. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

/** Port 0 takes a free one. Throws a one-line error naming the value otherwise. */
export function parseHttpAddress(value: string): HttpAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isSafeInteger(port) || port > 65535)
    throw new Error(`--http: expected HOST:PORT or PORT (port 0 to 65535), got '${value}'`);
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? DEFAULT_HTTP_HOST : host, port };
}

/** The master's `http` option: where to serve the operator endpoints, and the bearer token they require, if any. */
export interface MasterHttpOption extends HttpAddress {
  /** When set, every request needs `Authorization: Bearer <token>` (or `?access_token=<token>`). */
  readonly token?: string;
}

/** Checks the `http` option (throws the checker's InvalidOptionError naming `http.<field>`). */
export function compileHttpOption(
  check: OptionChecker,
  value: MasterHttpOption | undefined,
): MasterHttpOption | undefined {
  if (value === undefined) return undefined;
  const host = check.text('http.host', value.host);
  if (host === '') check.fail('http.host', 'expected a host name or address, got nothing');
  const port = check.wholeNumber('http.port', value.port, { min: 0, max: 65535 });
  if (value.token === undefined) return { host, port };
  const token = check.text('http.token', value.token);
  if (token === '') check.fail('http.token', 'expected a token, got nothing');
  return { host, port, token };
}
