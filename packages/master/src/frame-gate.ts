/**
 * With CURVE on, the check every frame passes before the master acts on it: which key sent it (the proof in its
 * routing id, see security.ts), and whether that key holds the role the message kind needs now. A frame that fails is
 * dropped with no answer at all (an ERROR would tell an unlisted peer the master is there and listening), and logged
 * at a bounded rate. A registered worker whose key is no longer a worker key is dropped from the registry then.
 */
import type { MessageKind } from '@monomyth/mmop';
import type { Logger } from './logger.js';
import { RateLimiter } from './rate-limited.js';
import { roleFor } from './security.js';
import type { MasterSecurity, PeerRoles } from './security.js';

export class FrameGate {
  readonly #security: MasterSecurity;
  readonly #log: Logger;
  /** Called with the routing id of a frame refused: the master drops the worker registered under it, if any. */
  readonly #onRefused: (identity: Buffer, peer: PeerRoles | undefined) => void;
  readonly #limiter = new RateLimiter(10, 60_000);

  constructor(
    security: MasterSecurity,
    log: Logger,
    onRefused: (identity: Buffer, peer: PeerRoles | undefined) => void,
  ) {
    this.#security = security;
    this.#log = log;
    this.#onRefused = onRefused;
  }

  /** Before decoding: the peer behind the frames, or undefined (and the frames dropped) if it proves no listed key. */
  sender(frames: readonly Buffer[]): PeerRoles | undefined {
    const identity = frames[0];
    const peer = identity && this.#security.peer(identity);
    if (peer) return peer;
    this.#refuse(identity, undefined, undefined);
    return undefined;
  }

  /** After decoding: whether the peer's key may send this kind now; if not, the message is dropped. */
  allows(identity: Buffer, peer: PeerRoles, kind: MessageKind): boolean {
    const role = roleFor(kind);
    if (role === undefined || peer[role]) return true;
    this.#refuse(identity, peer, kind);
    return false;
  }

  #refuse(
    identity: Buffer | undefined,
    peer: PeerRoles | undefined,
    kind: string | undefined,
  ): void {
    if (identity) this.#onRefused(identity, peer);
    const { allowed, suppressed } = this.#limiter.take(Date.now());
    if (suppressed > 0)
      this.#log.warn({ suppressed }, 'more frames were dropped for want of a role');
    if (!allowed) return;
    this.#log.warn(
      { publicKey: peer?.publicKey, kind },
      peer
        ? `dropped ${kind ?? 'a message'} from key ${peer.publicKey}: not a ${peer.worker ? 'controller' : 'worker'} key`
        : 'dropped frames from a peer whose routing id proves no listed key (removed, or not an MMOP client)',
    );
  }
}
