/**
 * CURVE on the master: its own ZeroMQ context with a ZAP handler that admits only listed keys, the two key directories
 * (workers, controllers) that list them, and the role of the peer behind each routing id.
 *
 * Who sent a frame: zeromq.js reads no per-message properties, so the key a ZAP reply admitted cannot travel with the
 * frames. Peers name their key in their routing id and prove it with a MAC only the key's holder can make (see
 * @monomyth/mmop peer-identity.ts); the master checks the proof once per routing id and looks the key's roles up in the
 * current lists on every frame, so a key removed by a reload loses its rights at its next frame.
 */
import { Context } from 'zeromq';
import { RoutingIdVerifier, curvePublicKeyOf, readPublicKeysDir } from '@monomyth/mmop';
import type { MessageKind } from '@monomyth/mmop';
import type { Logger } from './logger.js';
import { ZapHandler } from './zap-handler.js';

export type Role = 'worker' | 'controller';

/** What a peer may do, and who it is. */
export interface PeerRoles {
  readonly publicKey: string;
  readonly instance: string;
  readonly worker: boolean;
  readonly controller: boolean;
}

/** The kinds only a worker key may send, and those only a controller key may send. Others are answered to anyone. */
const WORKER_KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>([
  'READY',
  'HEARTBEAT',
  'START-NODE-SUCCESS',
  'START-NODE-FAILURE',
  'STOP-NODE-SUCCESS',
  'STOP-NODE-FAILURE',
  'NODE-EXITED',
  'BYE',
  'FAIL-QUEUE-SUCCESS',
  'FAIL-QUEUE-FAILURE',
]);
const CONTROL_KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>([
  'PING',
  'WORKER-INFO',
  'RECIPE-INFO',
  'START-NODE-REQUEST',
  'STOP-NODE-REQUEST',
  'STOP-WORKER-REQUEST',
  // Moves and deletes data: a controller's act, never a worker's.
  'FAIL-QUEUE-REQUEST',
  // Resize and throttle the cluster: a controller's act too.
  'AUTOSCALE-REQUEST',
  'RATE-LIMIT-REQUEST',
]);

/** The role a message kind needs, or undefined if any admitted peer may send it. */
export function roleFor(kind: MessageKind): Role | undefined {
  if (WORKER_KINDS.has(kind)) return 'worker';
  if (CONTROL_KINDS.has(kind)) return 'controller';
  return undefined;
}

export interface SecurityOptions {
  readonly secretKey: string;
  readonly workersKeysDir: string | undefined;
  readonly controllersKeysDir: string | undefined;
}

/** What a reload changed, by Z85 key. */
export interface KeysReloaded {
  readonly workers: number;
  readonly controllers: number;
  readonly removed: readonly string[];
}

async function readKeys(dir: string | undefined): Promise<Set<string>> {
  if (dir === undefined) return new Set();
  return new Set((await readPublicKeysDir(dir)).map((entry) => entry.publicKey));
}

const MAX_CACHED_PEERS = 10_000;

export class MasterSecurity {
  /** The context the master's ROUTER must be made in: the one the ZAP handler serves. */
  readonly context: Context;
  /** The master's public key (Z85), which peers need as `masterKey`. */
  readonly publicKey: string;
  readonly secretKey: string;
  readonly #options: SecurityOptions;
  readonly #verifier: RoutingIdVerifier;
  readonly #peers = new Map<string, PeerRoles | null>();
  readonly #log: Logger;
  #workers: Set<string>;
  #controllers: Set<string>;
  #zap: ZapHandler | undefined;

  private constructor(
    options: SecurityOptions,
    workers: Set<string>,
    controllers: Set<string>,
    log: Logger,
  ) {
    this.#options = options;
    this.secretKey = options.secretKey;
    this.publicKey = curvePublicKeyOf(options.secretKey);
    this.#verifier = new RoutingIdVerifier(options.secretKey);
    this.#workers = workers;
    this.#controllers = controllers;
    this.#log = log;
    this.context = new Context();
  }

  /** Reads the key directories and starts the ZAP handler. Rejects (CertificateError) on a missing or bad file. */
  static async create(options: SecurityOptions, log: Logger): Promise<MasterSecurity> {
    const [workers, controllers] = await Promise.all([
      readKeys(options.workersKeysDir),
      readKeys(options.controllersKeysDir),
    ]);
    const security = new MasterSecurity(options, workers, controllers, log);
    security.#zap = await ZapHandler.start(
      security.context,
      (key) => security.#workers.has(key) || security.#controllers.has(key),
      log,
    );
    log.info(
      { publicKey: security.publicKey, workers: workers.size, controllers: controllers.size },
      'CURVE on: only listed keys may connect',
    );
    return security;
  }

  /** Who sent frames under this routing id, or undefined when its proof fails or its key is in neither list now. */
  peer(identity: Buffer): PeerRoles | undefined {
    const cacheKey = identity.toString('latin1');
    let peer = this.#peers.get(cacheKey);
    if (peer === undefined) {
      const proven = this.#verifier.verify(identity);
      peer = proven?.publicKey
        ? {
            publicKey: proven.publicKey,
            instance: proven.instance,
            worker: this.#workers.has(proven.publicKey),
            controller: this.#controllers.has(proven.publicKey),
          }
        : null;
      if (this.#peers.size >= MAX_CACHED_PEERS) this.#peers.clear();
      this.#peers.set(cacheKey, peer);
    }
    return peer && (peer.worker || peer.controller) ? peer : undefined;
  }

  /**
   * Reads the directories again; the new lists apply to new connections at once and to existing peers at their next
   * frame. On a bad file the old lists stay and the error is thrown.
   */
  async reload(): Promise<KeysReloaded> {
    const [workers, controllers] = await Promise.all([
      readKeys(this.#options.workersKeysDir),
      readKeys(this.#options.controllersKeysDir),
    ]);
    const removed = [...this.#workers, ...this.#controllers].filter(
      (key) => !workers.has(key) && !controllers.has(key),
    );
    this.#workers = workers;
    this.#controllers = controllers;
    this.#peers.clear();
    this.#zap?.forget();
    this.#log.info(
      { workers: workers.size, controllers: controllers.size, removed: removed.length },
      'keys reloaded',
    );
    return { workers: workers.size, controllers: controllers.size, removed };
  }

  /** Whether `key` is a worker key now. */
  isWorkerKey(key: string): boolean {
    return this.#workers.has(key);
  }

  async close(): Promise<void> {
    await this.#zap?.close();
  }
}
