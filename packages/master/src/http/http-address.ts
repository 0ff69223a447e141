/** The master's `http` option: where its operator endpoints listen, and the token they may require. */
import type { OptionChecker } from '@monomyth/mmop';

/** Where the endpoints listen (port 0 takes a free one). */
export interface HttpAddress {
  readonly host: string;
  readonly port: number;
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
