/**
 * Every kind through real ZeroMQ sockets on tcp loopback: a DEALER (worker or control client) and a ROUTER (master),
 * with the codec on both sides and the ROUTER's identity envelope in between.
 */
import { Dealer, Router } from 'zeromq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_KINDS, MmopCodec, MmopDecodeError } from '../src/index.js';
import { SAMPLES } from './samples.js';

describe('mmop over zeromq', () => {
  const codec = new MmopCodec();
  const router = new Router({ linger: 0 });
  const dealer = new Dealer({ linger: 0, routingId: 'monomyth-worker-test' });

  beforeAll(async () => {
    await router.bind('tcp://127.0.0.1:*');
    dealer.connect(router.lastEndpoint!);
  });

  afterAll(() => {
    dealer.close();
    router.close();
  });

  it('zeromq - every kind goes DEALER -> ROUTER and comes back ROUTER -> DEALER intact', async () => {
    for (const kind of MESSAGE_KINDS) {
      await dealer.send(codec.encode(SAMPLES[kind]));
      const { identity, message } = codec.decodeEnvelope(await router.receive());
      expect(identity.toString()).toBe('monomyth-worker-test');
      expect(message).toEqual(SAMPLES[kind]);

      await router.send(codec.encodeEnvelope(identity, message));
      expect(codec.decode(await dealer.receive())).toEqual(SAMPLES[kind]);
    }
  });

  it('zeromq - 1,000 messages in flight arrive in order, decoded', async () => {
    const sends = Array.from({ length: 1000 }, (_, i) =>
      codec.encode({ kind: 'PING', requestId: `r${i}` }),
    );
    const sending = (async () => {
      for (const frames of sends) await dealer.send(frames);
    })();
    for (let i = 0; i < 1000; i++) {
      const { message } = codec.decodeEnvelope(await router.receive());
      expect(message).toEqual({ kind: 'PING', requestId: `r${i}` });
    }
    await sending;
  });

  it('zeromq - garbage from a peer is an MmopDecodeError on the ROUTER and the next message still decodes', async () => {
    await dealer.send([Buffer.from('GET / HTTP/1.1\r\n\r\n')]);
    const garbage = await router.receive();
    expect(() => codec.decodeEnvelope(garbage)).toThrow(MmopDecodeError);
    await dealer.send(codec.encode(SAMPLES.PING));
    expect(codec.decodeEnvelope(await router.receive()).message).toEqual(SAMPLES.PING);
  });
});
