/**
 * The control client's errors, each with a stable `code`; branded `MonomythError`s, so `instanceof` holds across
 * copies of the package.
 */
import { MonomythError, brandError, describeError } from '@monomyth/mmop';

/** No answer from the master within the timeout: it is down, unreachable, or not a Monomyth master. */
export class MasterUnreachableError extends MonomythError {
  static {
    brandError(this, '@monomyth/control.MasterUnreachableError');
  }

  readonly code = 'MASTER_UNREACHABLE';
  readonly master: string;
  readonly timeoutMs: number;

  constructor(master: string, timeoutMs: number, kind: string) {
    super(`no answer from the master at ${master} to ${kind} within ${timeoutMs} ms`);
    this.master = master;
    this.timeoutMs = timeoutMs;
  }
}

/** The master answered with a failure: `status` is HTTP-like (400, 404, 408, 503...), `code` names the condition. */
export class ControlRequestError extends MonomythError {
  static {
    brandError(this, '@monomyth/control.ControlRequestError');
  }

  readonly status: number;
  readonly code: string;
  readonly reason: string;

  constructor(status: number, code: string, reason: string) {
    super(`${reason} (${status} ${code})`);
    this.status = status;
    this.code = code;
    this.reason = reason;
  }
}

/** The client was closed before the master answered. */
export class ControlClientClosedError extends MonomythError {
  static {
    brandError(this, '@monomyth/control.ControlClientClosedError');
  }

  readonly code = 'CLIENT_CLOSED';

  constructor() {
    super('the control client is closed');
  }
}

/** The client's socket failed: calls in flight and later calls fail with this (its `cause` is the socket's error). */
export class ControlClientFailedError extends MonomythError {
  static {
    brandError(this, '@monomyth/control.ControlClientFailedError');
  }

  readonly code = 'CLIENT_FAILED';

  constructor(cause: unknown) {
    super(`the control client's socket failed: ${describeError(cause)}`, { cause });
  }
}
