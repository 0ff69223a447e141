/** The control client's errors, each with a stable `code`; `instanceof` holds across copies of the package. */

const UNREACHABLE = Symbol.for('@monomyth/control.MasterUnreachableError');
const REQUEST = Symbol.for('@monomyth/control.ControlRequestError');
const CLOSED = Symbol.for('@monomyth/control.ControlClientClosedError');
const OPTIONS = Symbol.for('@monomyth/control.ControlClientOptionsError');

function branded(value: unknown, brand: symbol): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[brand] === true
  );
}

/** No answer from the master within the timeout: it is down, unreachable, or not a Monomyth master. */
export class MasterUnreachableError extends Error {
  override readonly name = 'MasterUnreachableError';
  readonly code = 'MASTER_UNREACHABLE';
  readonly master: string;
  readonly timeoutMs: number;

  constructor(master: string, timeoutMs: number, kind: string) {
    super(`no answer from the master at ${master} to ${kind} within ${timeoutMs} ms`);
    this.master = master;
    this.timeoutMs = timeoutMs;
    Object.defineProperty(this, UNREACHABLE, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, UNREACHABLE);
  }
}

/** The master answered with a failure: `status` is HTTP-like (400, 404, 408, 503...), `code` names the condition. */
export class ControlRequestError extends Error {
  override readonly name = 'ControlRequestError';
  readonly status: number;
  readonly code: string;
  readonly reason: string;

  constructor(status: number, code: string, reason: string) {
    super(`${reason} (${status} ${code})`);
    this.status = status;
    this.code = code;
    this.reason = reason;
    Object.defineProperty(this, REQUEST, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, REQUEST);
  }
}

/** The client was closed before the master answered. */
export class ControlClientClosedError extends Error {
  override readonly name = 'ControlClientClosedError';
  readonly code = 'CLIENT_CLOSED';

  constructor() {
    super('the control client is closed');
    Object.defineProperty(this, CLOSED, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, CLOSED);
  }
}

/** The client's options do not fit together (CURVE needs both keys) or a key is not Z85; `option` names it. */
export class ControlClientOptionsError extends Error {
  override readonly name = 'ControlClientOptionsError';
  readonly code = 'INVALID_OPTION';
  readonly option: string;

  constructor(option: string, message: string) {
    super(`invalid control client option ${option}: ${message}`);
    this.option = option;
    Object.defineProperty(this, OPTIONS, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return branded(value, OPTIONS);
  }
}
