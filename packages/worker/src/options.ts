/** The worker's options: all optional but the system and the adapter, compiled once into complete, checked options. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { noopLogger } from '@monomyth/node';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MASTER_ENDPOINT,
  OptionChecker,
  checkClientCurve,
} from '@monomyth/mmop';
import type { CurveClientKeys } from '@monomyth/mmop';
import type { BatchInterceptor, Logger, StreamAdapter, System } from '@monomyth/node';

/** How a worker restarts a node whose loop crashed, and when it gives up and tells the master. */
export interface RestartPolicy {
  /** Delay before the first restart. @default 500 */
  initialDelayMs?: number;
  /** Longest delay between restarts (the delay doubles per crash in the window). @default 30_000 */
  maxDelayMs?: number;
  /** Crashes allowed within `windowMs`; one more and the node is reported exited, for the master to place elsewhere. @default 5 */
  maxRestarts?: number;
  /** @default 60_000 */
  windowMs?: number;
}

export interface WorkerOptions {
  /** The node types this worker can run. */
  system: System;
  /** The stream adapter nodes use, already open. The worker never closes it: its owner does, after the worker. */
  adapter: StreamAdapter;
  /** The master's endpoint. @default DEFAULT_MASTER_ENDPOINT ('tcp://127.0.0.1:5555') */
  master?: string;
  /**
   * This worker's CURVE secret key (Z85), for a master with CURVE on; its public key must be in the master's workers
   * keys directory. Needs `masterKey`. @default undefined: plain MMOP
   */
  curveSecretKey?: string;
  /** The master's CURVE public key (Z85). A wrong one gets no answer: the worker keeps trying to register. */
  masterKey?: string;
  /** This worker's id: its name in the cluster. @default 'monomyth-worker-<random>' */
  id?: string;
  /** Most nodes this worker runs at once. @default 64 */
  capacity?: number;
  /** The host name reported to the master. @default os.hostname() */
  host?: string;
  /** How long a node may take to drain on close() or SHUTDOWN unless told otherwise. @default DEFAULT_DRAIN_TIMEOUT_MS */
  drainTimeoutMs?: number;
  /** How often READY is sent again while no master answers. @default 1_000 */
  registerRetryMs?: number;
  restart?: RestartPolicy;
  /**
   * How long the event loop may be blocked (a transform that keeps the CPU without yielding) before the worker warns,
   * naming the nodes that had a batch in flight. @default 2_000
   */
  stallWarningMs?: number;
  /**
   * A file descriptor (1 for stdout, 2 for stderr) the worker's link thread writes that warning to, as one JSON line in
   * pino's shape, while the loop is still blocked: the logger lives on the blocked loop and cannot. Either way the
   * warning is logged through `logger` once the loop answers again. @default undefined: no line while blocked
   */
  stallLogFd?: number;
  /** Wrapped around every batch of every node (metrics, tracing). */
  interceptors?: readonly BatchInterceptor[];
  /** Receives structured logs (pino's shape). @default a logger that writes nothing */
  logger?: Logger;
}

export interface CompiledWorkerOptions {
  readonly system: System;
  readonly adapter: StreamAdapter;
  readonly master: string;
  readonly curve: CurveClientKeys | undefined;
  readonly id: string;
  readonly capacity: number;
  readonly host: string;
  readonly drainTimeoutMs: number;
  readonly registerRetryMs: number;
  readonly restart: Readonly<Required<RestartPolicy>>;
  readonly stallWarningMs: number;
  readonly stallLogFd: number | undefined;
  readonly interceptors: readonly BatchInterceptor[];
  readonly logger: Logger;
}

export const DEFAULT_WORKER_CAPACITY = 64;
export const DEFAULT_REGISTER_RETRY_MS = 1_000;
export const DEFAULT_STALL_WARNING_MS = 2_000;
export const DEFAULT_RESTART_POLICY: Readonly<Required<RestartPolicy>> = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxRestarts: 5,
  windowMs: 60_000,
});

/** Throws `InvalidOptionError`s of component `'worker'`. */
// Typed explicitly: only then does TypeScript narrow after `check.fail(...)`, which returns never.
const check: OptionChecker = new OptionChecker('worker');

/**
 * Fills in the defaults and checks every option; throws an `InvalidOptionError` (component `'worker'`) naming the
 * first bad one.
 */
export function compileWorkerOptions(options: WorkerOptions): CompiledWorkerOptions {
  if (!options.system) check.fail('system', 'a worker needs the system whose nodes it runs');
  if (!options.adapter) check.fail('adapter', 'a worker needs a stream adapter for its nodes');
  const id = options.id ?? `monomyth-worker-${randomUUID().slice(0, 8)}`;
  if (id.length === 0 || id.length > 255 || id.charCodeAt(0) === 0) {
    check.fail('id', 'must be 1 to 255 characters and not start with a zero byte');
  }
  const restart = options.restart ?? {};
  return {
    system: options.system,
    adapter: options.adapter,
    master: check.endpoint('master', options.master ?? DEFAULT_MASTER_ENDPOINT),
    curve: checkClientCurve(check, options, 'worker'),
    id,
    capacity: check.wholeNumber('capacity', options.capacity ?? DEFAULT_WORKER_CAPACITY, {
      min: 1,
    }),
    host: options.host ?? hostname(),
    drainTimeoutMs: check.duration(
      'drainTimeoutMs',
      options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    ),
    registerRetryMs: check.duration(
      'registerRetryMs',
      options.registerRetryMs ?? DEFAULT_REGISTER_RETRY_MS,
      { min: 1 },
    ),
    restart: {
      initialDelayMs: check.duration(
        'restart.initialDelayMs',
        restart.initialDelayMs ?? DEFAULT_RESTART_POLICY.initialDelayMs,
      ),
      maxDelayMs: check.duration(
        'restart.maxDelayMs',
        restart.maxDelayMs ?? DEFAULT_RESTART_POLICY.maxDelayMs,
      ),
      maxRestarts: check.wholeNumber(
        'restart.maxRestarts',
        restart.maxRestarts ?? DEFAULT_RESTART_POLICY.maxRestarts,
        { min: 0 },
      ),
      windowMs: check.duration(
        'restart.windowMs',
        restart.windowMs ?? DEFAULT_RESTART_POLICY.windowMs,
        {
          min: 1,
        },
      ),
    },
    stallWarningMs: check.duration(
      'stallWarningMs',
      options.stallWarningMs ?? DEFAULT_STALL_WARNING_MS,
      { min: 1 },
    ),
    stallLogFd:
      options.stallLogFd === undefined
        ? undefined
        : check.wholeNumber('stallLogFd', options.stallLogFd, { min: 0 }),
    interceptors: options.interceptors ?? [],
    logger: options.logger ?? noopLogger,
  };
}
