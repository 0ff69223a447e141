/** The master's options: all optional, with documented defaults, compiled once into validated, complete options. */
import type { CodecLimits } from '@monomyth/mmop';
import {
  DEFAULT_CODEC_LIMITS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MASTER_ENDPOINT,
  OptionChecker,
} from '@monomyth/mmop';
import type { Logger } from './logger.js';
import { compileHttpOption } from './http/http-address.js';
import type { MasterHttpOption } from './http/http-address.js';
import { noopLogger } from './logger.js';
import { DEFAULT_PEER_LIMITS } from './peer-limits.js';
import type { PeerLimits } from './peer-limits.js';

export interface MasterOptions {
  /** Where the master's ROUTER binds; workers and control clients connect here. @default DEFAULT_MASTER_ENDPOINT */
  bind?: string;
  /** How often workers send heartbeats, told to them in REGISTERED. @default 1000 */
  heartbeatIntervalMs?: number;
  /** Heartbeats a worker may miss before it is declared lost. @default 3 */
  heartbeatMisses?: number;
  /**
   * How often workers' heartbeats must carry new node counters and queue counts, told to them in REGISTERED. Between,
   * a worker whose nodes changed in nothing but their counters repeats its last heartbeat, which the master answers
   * without decoding it: at thousands of busy workers, the larger part of the master's cost. Node and state changes
   * and the event loop's lag are reported at the next heartbeat whatever this says. The price: counters, rates and
   * backlogs the master shows are up to this old, and the autoscaler measures rates over at least two counter reports
   * (rateSpansFor in autoscale-decision.ts), so it reacts that much more slowly. At least heartbeatIntervalMs.
   * @default heartbeatIntervalMs
   */
  countersIntervalMs?: number;
  /**
   * How long a worker whose heartbeats report its event loop blocked (`stalled`) keeps its nodes before it is treated
   * as lost and they are placed elsewhere. Longer than the liveness window: a stalled worker still holds its messages,
   * and placing its nodes again would process them twice. @default 300_000 (5 minutes)
   */
  stallLimitMs?: number;
  /**
   * How long after it starts the master takes desired counts from the nodes that registering workers report running
   * (a restarted master recovering the cluster's picture). It ends early at the first start or stop request; after it,
   * only requests change desired counts, and running nodes beyond them are drained.
   * @default the liveness window (heartbeatIntervalMs x heartbeatMisses), and at least 5_000: workers that noticed the
   * old master's silence send READY once a second, and a worker registering later than this has its surplus drained
   */
  recoveryWindowMs?: number;
  /** How long a worker has to answer START-NODE. @default 10_000 */
  startTimeoutMs?: number;
  /** How long a node may take to drain when stopped, unless the request says otherwise. @default DEFAULT_DRAIN_TIMEOUT_MS */
  drainTimeoutMs?: number;
  /** Added to a drain timeout to get the time the master waits for the answer. @default 5_000 */
  stopGraceMs?: number;
  /** After a type fails to start, or crash-loops, on a worker, other workers are preferred for it this long. @default 30_000 */
  avoidAfterFailureMs?: number;
  /** Bounds on what the master accepts from peers and sends to them. @default DEFAULT_CODEC_LIMITS */
  codecLimits?: Partial<CodecLimits>;
  /**
   * The largest frame the master receives, in bytes (ZeroMQ's ZMQ_MAXMSGSIZE on its ROUTER, and the largest body it
   * decodes). A peer that sends a larger frame is disconnected by ZeroMQ before the frame is buffered. Sized for the
   * largest legitimate READY (a worker of 1,000 node types with recipes of ~1 KiB each); replies the master sends are
   * bounded by `codecLimits.maxBodyBytes` instead. At least 4096 (the CURVE handshake must fit).
   * @default DEFAULT_MAX_FRAME_BYTES (1 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Complete messages ZeroMQ queues per peer before it stops reading that peer's connection (ZMQ_RCVHWM). With
   * `maxFrameBytes`, bounds what one peer can make the master hold: about this many times 3 x maxFrameBytes. It is
   * what the master holds while its event loop is busy, so it is kept small: a legitimate peer has one or two messages
   * in flight, and one over it waits in its own send queue and the kernel's buffers, losing nothing.
   * @default DEFAULT_RECEIVE_HIGH_WATER_MARK (4)
   */
  receiveHighWaterMark?: number;
  /**
   * A file that keeps the desired state (desired counts per type, autoscale policies set at run time) across restarts:
   * read at start, rewritten atomically on every change. docs/scaling.md says what is lost without it.
   * @default undefined: the desired state lives in memory only
   */
  stateFile?: string;
  /**
   * What one worker may make the master hold (peer-limits.ts): workers registered, node types and nodes per worker,
   * recipe size, name length. A peer over one gets ERROR and nothing it sent is kept. @default DEFAULT_PEER_LIMITS
   */
  limits?: Partial<PeerLimits>;
  /** Receives the master's structured logs (pino's shape). @default a logger that writes nothing */
  logger?: Logger;
  /** This master's epoch, told to workers: a new one tells them the master restarted. @default random */
  epoch?: string;
  /**
   * The master's CURVE secret key (Z85, 40 characters): turns CURVE on. Every peer must then connect with its own key
   * pair and the master's public key, and its key must be in `workersKeysDir` or `controllersKeysDir`.
   * @default undefined: plain MMOP, anyone who reaches the port may do anything
   */
  curveSecretKey?: string;
  /** A directory of public certificates (`*.key`) of workers: keys that may register, heartbeat and answer. */
  workersKeysDir?: string;
  /** A directory of public certificates (`*.key`) of controllers: keys that may send control and info requests. */
  controllersKeysDir?: string;
  /**
   * Allow plain MMOP on an address other than loopback. Without CURVE, anyone who reaches the port can list the
   * cluster, register workers and start or stop nodes. @default false: such a bind is refused
   */
  insecure?: boolean;
  /**
   * Serve the operator endpoints (`/metrics`, `/live`, `/ready`, `/api/cluster`, `/events` and the dashboard at `/`)
   * on this address, with an optional bearer token (docs/observability.md). An operator port: keep it private.
   * @default undefined: no HTTP server
   */
  http?: MasterHttpOption;
}

export interface CompiledMasterOptions {
  readonly bind: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMisses: number;
  readonly countersIntervalMs: number;
  readonly stallLimitMs: number;
  readonly recoveryWindowMs: number;
  readonly startTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly stopGraceMs: number;
  readonly avoidAfterFailureMs: number;
  readonly codecLimits: Readonly<CodecLimits>;
  readonly maxFrameBytes: number;
  readonly receiveHighWaterMark: number;
  readonly stateFile: string | undefined;
  readonly limits: Readonly<PeerLimits>;
  readonly logger: Logger;
  readonly epoch: string;
  /** CURVE settings, or undefined for plain MMOP. */
  readonly curve:
    | {
        readonly secretKey: string;
        readonly workersKeysDir: string | undefined;
        readonly controllersKeysDir: string | undefined;
      }
    | undefined;
  readonly http: MasterHttpOption | undefined;
}

export { DEFAULT_MASTER_ENDPOINT };
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
export const DEFAULT_HEARTBEAT_MISSES = 3;
export const DEFAULT_STALL_LIMIT_MS = 300_000;
/** The shortest default recovery window; see MasterOptions.recoveryWindowMs. */
export const MIN_DEFAULT_RECOVERY_WINDOW_MS = 5_000;
export const DEFAULT_MASTER_START_TIMEOUT_MS = 10_000;
export const DEFAULT_STOP_GRACE_MS = 5_000;
export const DEFAULT_AVOID_AFTER_FAILURE_MS = 30_000;
/** The largest frame a master receives by default: 1 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
/** Complete messages queued per peer by default before ZeroMQ stops reading it. */
export const DEFAULT_RECEIVE_HIGH_WATER_MARK = 4;
/** The smallest maxFrameBytes: ZMQ_MAXMSGSIZE applies to handshake frames too, and CURVE's are a few hundred bytes. */
const MIN_FRAME_BYTES = 4096;

type DurationOption =
  | 'heartbeatIntervalMs'
  | 'countersIntervalMs'
  | 'stallLimitMs'
  | 'recoveryWindowMs'
  | 'startTimeoutMs'
  | 'drainTimeoutMs'
  | 'stopGraceMs'
  | 'avoidAfterFailureMs';

/** Throws `InvalidOptionError`s of component `'master'`. */
// Typed explicitly: only then does TypeScript narrow after `check.fail(...)`, which returns never.
const check: OptionChecker = new OptionChecker('master');

/**
 * Fills in the defaults and checks every option; throws an `InvalidOptionError` (component `'master'`) naming the
 * first bad one.
 */
export function compileMasterOptions(options: MasterOptions = {}): CompiledMasterOptions {
  const bind = check.endpoint('bind', options.bind ?? DEFAULT_MASTER_ENDPOINT);
  const curve = compileCurve(options);
  if (!curve && options.insecure !== true && !isLocalEndpoint(bind)) {
    check.fail(
      'bind',
      `${bind} is reachable from other hosts, and without CURVE anyone who reaches it controls the cluster: give the master a key (curveSecretKey, --curve-secret-key) or allow plain text explicitly (insecure, --insecure)`,
    );
  }
  // Durations the master sends in MMOP (heartbeat interval, drain timeouts) are whole milliseconds there.
  const duration = (option: DurationOption, fallback: number): number =>
    check.duration(option, options[option] ?? fallback, { min: 1 });
  const heartbeatIntervalMs = duration('heartbeatIntervalMs', DEFAULT_HEARTBEAT_INTERVAL_MS);
  const heartbeatMisses = check.wholeNumber(
    'heartbeatMisses',
    options.heartbeatMisses ?? DEFAULT_HEARTBEAT_MISSES,
    { min: 1 },
  );
  const livenessWindowMs = heartbeatIntervalMs * heartbeatMisses;
  const countersIntervalMs = duration('countersIntervalMs', heartbeatIntervalMs);
  if (countersIntervalMs < heartbeatIntervalMs) {
    check.fail(
      'countersIntervalMs',
      `must be at least the heartbeat interval (heartbeatIntervalMs = ${heartbeatIntervalMs} ms), got ${countersIntervalMs}`,
    );
  }
  const stallLimitMs = duration('stallLimitMs', DEFAULT_STALL_LIMIT_MS);
  if (stallLimitMs <= livenessWindowMs) {
    check.fail(
      'stallLimitMs',
      `must be longer than the liveness window (heartbeatIntervalMs x heartbeatMisses = ${livenessWindowMs} ms), got ${stallLimitMs}`,
    );
  }
  return {
    bind,
    heartbeatIntervalMs,
    heartbeatMisses,
    countersIntervalMs,
    stallLimitMs,
    recoveryWindowMs: duration(
      'recoveryWindowMs',
      Math.max(livenessWindowMs, MIN_DEFAULT_RECOVERY_WINDOW_MS),
    ),
    startTimeoutMs: duration('startTimeoutMs', DEFAULT_MASTER_START_TIMEOUT_MS),
    drainTimeoutMs: duration('drainTimeoutMs', DEFAULT_DRAIN_TIMEOUT_MS),
    stopGraceMs: duration('stopGraceMs', DEFAULT_STOP_GRACE_MS),
    avoidAfterFailureMs: duration('avoidAfterFailureMs', DEFAULT_AVOID_AFTER_FAILURE_MS),
    codecLimits: { ...DEFAULT_CODEC_LIMITS, ...options.codecLimits },
    maxFrameBytes: check.wholeNumber(
      'maxFrameBytes',
      options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      {
        min: MIN_FRAME_BYTES,
      },
    ),
    receiveHighWaterMark: check.wholeNumber(
      'receiveHighWaterMark',
      options.receiveHighWaterMark ?? DEFAULT_RECEIVE_HIGH_WATER_MARK,
      { min: 1 },
    ),
    stateFile:
      options.stateFile === undefined ? undefined : check.text('stateFile', options.stateFile),
    limits: compileLimits(options.limits),
    logger: options.logger ?? noopLogger,
    epoch: options.epoch ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    curve,
    http: compileHttpOption(check, options.http),
  };
}

function compileLimits(limits: Partial<PeerLimits> = {}): Readonly<PeerLimits> {
  const compiled = { ...DEFAULT_PEER_LIMITS, ...limits };
  for (const key of Object.keys(DEFAULT_PEER_LIMITS) as (keyof PeerLimits)[]) {
    // A name longer than 256 is refused by the codec before any limit applies.
    const max = key === 'maxNameLength' ? 256 : Number.MAX_SAFE_INTEGER;
    compiled[key] = check.wholeNumber(`limits.${key}`, compiled[key], { min: 1, max });
  }
  return Object.freeze(compiled);
}

/** Whether an endpoint is reachable from this host only: ipc, inproc, or tcp on a loopback address. */
export function isLocalEndpoint(endpoint: string): boolean {
  if (!endpoint.startsWith('tcp://')) return true;
  const address = endpoint.slice('tcp://'.length);
  const host = address.startsWith('[')
    ? address.slice(1, address.indexOf(']'))
    : address.slice(0, address.lastIndexOf(':'));
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function compileCurve(options: MasterOptions): CompiledMasterOptions['curve'] {
  const { curveSecretKey, workersKeysDir, controllersKeysDir } = options;
  if (curveSecretKey === undefined) {
    if (workersKeysDir !== undefined || controllersKeysDir !== undefined) {
      check.fail(
        workersKeysDir !== undefined ? 'workersKeysDir' : 'controllersKeysDir',
        'key directories need CURVE on: give the master its secret key (curveSecretKey, --curve-secret-key)',
      );
    }
    return undefined;
  }
  if (!/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/.test(curveSecretKey)) {
    check.fail('curveSecretKey', 'expected a CURVE secret key in Z85 (40 characters)');
  }
  if (workersKeysDir === undefined && controllersKeysDir === undefined) {
    check.fail(
      'curveSecretKey',
      'with CURVE on, only listed keys may connect: give workersKeysDir and/or controllersKeysDir (--workers-keys, --controllers-keys)',
    );
  }
  return { secretKey: curveSecretKey, workersKeysDir, controllersKeysDir };
}
