import { describe, expect, it } from 'vitest';
import { generateCurveKeyPair } from './certificates.js';
import {
  RoutingIdVerifier,
  describeRoutingId,
  newInstance,
  plainInstance,
  routingIdFor,
} from './peer-identity.js';

const master = generateCurveKeyPair();
const peer = generateCurveKeyPair();
const keys = { ...peer, serverKey: master.publicKey };

describe('peer identity', () => {
  it('peer identity - a CURVE routing id proves its key to the master, and carries the instance', () => {
    const instance = newInstance();
    const verified = new RoutingIdVerifier(master.secretKey).verify(routingIdFor(instance, keys));
    expect(verified).toEqual({ instance: instance.toString('hex'), publicKey: peer.publicKey });
  });

  it('peer identity - two sockets of one instance get different ids with the same instance', () => {
    const instance = newInstance();
    const [a, b] = [routingIdFor(instance), routingIdFor(instance)];
    expect(a.equals(b)).toBe(false);
    expect(plainInstance(a)).toBe(instance.toString('hex'));
    expect(plainInstance(b)).toBe(instance.toString('hex'));
    expect(plainInstance(Buffer.from('monomyth-worker-1'))).toBeUndefined();
  });

  it('peer identity - a claim made without the key, a tampered id, or for another master proves nothing', () => {
    const verifier = new RoutingIdVerifier(master.secretKey);
    const other = generateCurveKeyPair();
    // Claims peer's key, but the MAC is made with another secret.
    const forged = routingIdFor(newInstance(), { ...keys, secretKey: other.secretKey });
    expect(verifier.verify(forged)).toBeUndefined();
    const tampered = routingIdFor(newInstance(), keys);
    tampered[40] = (tampered[40] ?? 0) ^ 1;
    expect(verifier.verify(tampered)).toBeUndefined();
    const forAnother = routingIdFor(newInstance(), { ...keys, serverKey: other.publicKey });
    expect(verifier.verify(forAnother)).toBeUndefined();
    expect(verifier.verify(routingIdFor(newInstance()))).toBeUndefined();
    expect(verifier.verify(Buffer.alloc(89, 2))).toBeUndefined();
  });

  it('peer identity - a CURVE id is logged as key and instance, never with its MAC', () => {
    const id = routingIdFor(newInstance(), keys);
    const text = describeRoutingId(id);
    expect(text).toMatch(
      new RegExp(`^curve:${peer.publicKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[0-9a-f]{32}$`),
    );
    expect(text).not.toContain(id.subarray(57).toString('hex'));
  });
});
