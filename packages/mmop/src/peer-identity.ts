/**
 * The routing ids MMOP peers give their DEALERs, and, under CURVE, the proof they carry of the peer's key.
 *
 * Why the routing id: the master must know which key sent each frame (a worker key may register, only a controller key
 * may send control requests), but zeromq.js reads no per-message properties, so the ZAP handler's verdict cannot travel
 * with the frames, and a ZAP request names no routing id to map it from. So the peer names its key in its routing id
 * and proves it holds the secret half: a MAC keyed by the X25519 secret it shares with the master (the same Curve25519
 * keys CURVE uses), over the rest of the id. Only the holder of the key's secret (or the master's) can make it.
 *
 *   plain:  0x01 | instance (16) | socket (8)                                          25 bytes
 *   curve:  0x02 | public key (32) | instance (16) | socket (8) | HMAC-SHA256 (32)     89 bytes
 *           MAC key = X25519(peer secret, master public) = X25519(master secret, peer public)
 *           MAC over the first 57 bytes
 *
 * `instance` is random per process: a worker that recreates its socket keeps it (the master knows it for the same
 * worker); `socket` is random per socket, so a new socket never collides with its predecessor's id on the master's
 * ROUTER, which lets no peer take over an id in use. Routing ids travel inside the CURVE handshake, encrypted.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { curveKeyFromZ85, curveKeyToZ85 } from './z85.js';

const PLAIN = 0x01;
const CURVE = 0x02;
const INSTANCE_BYTES = 16;
const SOCKET_BYTES = 8;
const KEY_BYTES = 32;
const MAC_BYTES = 32;
const PLAIN_LENGTH = 1 + INSTANCE_BYTES + SOCKET_BYTES;
const SIGNED_LENGTH = 1 + KEY_BYTES + INSTANCE_BYTES + SOCKET_BYTES;
const CURVE_LENGTH = SIGNED_LENGTH + MAC_BYTES;
const MAC_CONTEXT = 'mmop/1 routing id';

/** DER prefixes that wrap a raw X25519 key for node:crypto (PKCS#8 private, SPKI public). */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

/** A peer's own CURVE certificate and the master's public key, all Z85. */
export interface CurveClientKeys {
  readonly publicKey: string;
  readonly secretKey: string;
  readonly serverKey: string;
}

/** What a routing id says of its peer. `publicKey` (Z85) only when its proof checked out. */
export interface PeerIdentity {
  /** The process's instance, hex: the same for every socket one worker process opens. */
  readonly instance: string;
  readonly publicKey: string | undefined;
}

function secretKeyObject(secretZ85: string): KeyObject {
  const raw = Buffer.from(curveKeyFromZ85(secretZ85));
  return createPrivateKey({
    key: Buffer.concat([PKCS8_X25519, raw]),
    format: 'der',
    type: 'pkcs8',
  });
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}

function macKey(secret: KeyObject, peerPublic: Uint8Array): Buffer {
  const shared = diffieHellman({ privateKey: secret, publicKey: publicKeyObject(peerPublic) });
  return createHmac('sha256', shared).update(MAC_CONTEXT).digest();
}

/** A new random process instance, for `routingIdFor`. */
export function newInstance(): Buffer {
  return randomBytes(INSTANCE_BYTES);
}

/**
 * The routing id for a new socket of this process: plain, or carrying the proof of `curve.publicKey`. Call it for every
 * socket created; the same instance with a fresh socket part each time.
 */
export function routingIdFor(instance: Buffer, curve?: CurveClientKeys): Buffer {
  const socket = randomBytes(SOCKET_BYTES);
  if (!curve) return Buffer.concat([Buffer.of(PLAIN), instance, socket]);
  const signed = Buffer.concat([
    Buffer.of(CURVE),
    Buffer.from(curveKeyFromZ85(curve.publicKey)),
    instance,
    socket,
  ]);
  const mac = createHmac(
    'sha256',
    macKey(secretKeyObject(curve.secretKey), curveKeyFromZ85(curve.serverKey)),
  )
    .update(signed)
    .digest();
  return Buffer.concat([signed, mac]);
}

/** A plain routing id's instance; undefined for any other id (a peer of its own making: a test, another client). */
export function plainInstance(identity: Buffer): string | undefined {
  if (identity.length !== PLAIN_LENGTH || identity[0] !== PLAIN) return undefined;
  return identity.subarray(1, 1 + INSTANCE_BYTES).toString('hex');
}

/**
 * Checks the proofs in routing ids, for a master holding `serverSecretKey`. The shared MAC key is derived once per
 * peer key (bounded cache), so a peer's new sockets cost one HMAC each.
 */
export class RoutingIdVerifier {
  readonly #secret: KeyObject;
  readonly #macKeys = new Map<string, Buffer>();

  constructor(serverSecretKey: string) {
    this.#secret = secretKeyObject(serverSecretKey);
  }

  /** The peer a CURVE routing id proves, or undefined when it proves nothing (wrong shape, or a MAC that fails). */
  verify(identity: Buffer): PeerIdentity | undefined {
    if (identity.length !== CURVE_LENGTH || identity[0] !== CURVE) return undefined;
    const rawKey = identity.subarray(1, 1 + KEY_BYTES);
    const publicKey = curveKeyToZ85(rawKey);
    let key = this.#macKeys.get(publicKey);
    if (!key) {
      try {
        key = macKey(this.#secret, rawKey);
      } catch {
        return undefined; // Not a usable Curve25519 point.
      }
      if (this.#macKeys.size >= 10_000) this.#macKeys.clear();
      this.#macKeys.set(publicKey, key);
    }
    const expected = createHmac('sha256', key).update(identity.subarray(0, SIGNED_LENGTH)).digest();
    const mac = identity.subarray(SIGNED_LENGTH);
    if (!timingSafeEqual(expected, mac)) return undefined;
    const start = 1 + KEY_BYTES;
    return {
      instance: identity.subarray(start, start + INSTANCE_BYTES).toString('hex'),
      publicKey,
    };
  }
}

/**
 * A routing id for logs. A CURVE id is shown as its key and instance, never whole: its MAC is what proves the key, and
 * a log reader holding some other listed key could present a copied id as their own.
 */
export function describeRoutingId(identity: Buffer): string {
  if (identity.length === CURVE_LENGTH && identity[0] === CURVE) {
    const instance = identity.subarray(1 + KEY_BYTES, 1 + KEY_BYTES + INSTANCE_BYTES);
    return `curve:${curveKeyToZ85(identity.subarray(1, 1 + KEY_BYTES))}/${instance.toString('hex')}`;
  }
  return identity.toString('hex');
}
