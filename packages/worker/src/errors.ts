/**
 * Why a worker stopped for good: `run()` rejects with one of these once its nodes are drained, and its state is
 * `failed`. Both are branded MonomythErrors, so `instanceof` holds across copies of the package.
 */
import { MonomythError, brandError } from '@monomyth/mmop';

/** The master refused this worker for good: its name is held by another worker (`code` NAME_TAKEN). */
export class WorkerRefusedError extends MonomythError {
  static {
    brandError(this, '@monomyth/worker.WorkerRefusedError');
  }

  readonly code: string;

  constructor(code: string, reason: string) {
    super(`the master refused this worker: ${reason}`);
    this.code = code;
  }
}

/**
 * The worker's link to the master cannot go on: its socket failed or closed underneath it, or could not be opened
 * (an endpoint libzmq refuses at run time, such as an ipc path longer than the system allows). The worker drains its
 * nodes and stops; `run()` rejects with this. A process supervisor should start it again.
 */
export class WorkerLinkError extends MonomythError {
  static {
    brandError(this, '@monomyth/worker.WorkerLinkError');
  }
  readonly reason: string;

  constructor(reason: string) {
    super(`the link to the master failed: ${reason}`);
    this.reason = reason;
  }
}
