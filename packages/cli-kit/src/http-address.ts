/**
 * The `--http HOST:PORT` flag of `monomyth-master` and `monomyth-worker`: where their operator endpoints listen.
 * `HOST:PORT`, `[IPV6]:PORT`, `:PORT` or `PORT`; the last two listen on the loopback, since the endpoints are for
 * operators and a bare port should not open them to the network.
 */

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
