/**
 * The control client against a fake master (a bare ROUTER that answers as each test needs), for the cases the real
 * master's tests do not reach: answers out of order, ERROR replies, garbage, and closing with calls in flight.
 */
import { Router } from 'zeromq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MASTER_ENDPOINT,
  MmopCodec,
  generateCurveKeyPair,
  plainInstance,
} from '@monomyth/mmop';
import type { MmopMessage } from '@monomyth/mmop';
import {
  ControlClient,
  ControlClientClosedError,
  ControlRequestError,
  InvalidOptionError,
  MasterUnreachableError,
} from '../src/index.js';

const codec = new MmopCodec();
let router: Router;
let client: ControlClient;

async function receiveRequest(): Promise<{ identity: Buffer; message: MmopMessage }> {
  return codec.decodeEnvelope(await router.receive());
}

beforeEach(async () => {
  router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:*');
  client = new ControlClient({ master: router.lastEndpoint!, timeoutMs: 2000 });
});

afterEach(() => {
  client.close();
  router.close();
});

describe('control client', () => {
  it('control - answers arriving out of order reach their own callers', async () => {
    const first = client.ping();
    const second = client.recipes();
    const a = await receiveRequest();
    const b = await receiveRequest();
    const requestId = (message: MmopMessage): string =>
      'requestId' in message ? (message.requestId ?? '') : '';
    await router.send(
      codec.encodeEnvelope(b.identity, {
        kind: 'INFO-RESPONSE',
        requestId: requestId(b.message),
        recipes: [],
      }),
    );
    await router.send(
      codec.encodeEnvelope(a.identity, {
        kind: 'PONG',
        requestId: requestId(a.message),
        masterEpoch: 'e1',
      }),
    );
    expect(await second).toEqual([]);
    expect(await first).toMatchObject({ masterEpoch: 'e1' });
  });

  it('control - a failure reply becomes a ControlRequestError with its status and code; ERROR too', async () => {
    const starting = client.startNode('A', 2);
    const { identity, message } = await receiveRequest();
    expect(message).toMatchObject({ kind: 'START-NODE-REQUEST', type: 'A', count: 2 });
    const requestId = (message as { requestId: string }).requestId;
    await router.send(
      codec.encodeEnvelope(identity, {
        kind: 'START-NODE-REQUEST-FAILURE',
        requestId,
        status: 503,
        code: 'NO_WORKERS',
        reason: 'none',
      }),
    );
    await expect(starting).rejects.toMatchObject({
      name: 'ControlRequestError',
      status: 503,
      code: 'NO_WORKERS',
    });

    const stopping = client.stopWorker('w1');
    const request = await receiveRequest();
    await router.send(
      codec.encodeEnvelope(request.identity, {
        kind: 'ERROR',
        requestId: (request.message as { requestId: string }).requestId,
        status: 400,
        code: 'INVALID_FIELD',
        reason: 'bad',
      }),
    );
    await expect(stopping).rejects.toBeInstanceOf(ControlRequestError);
  });

  it('control - garbage from the master is ignored; the call then times out with MasterUnreachableError', async () => {
    const quick = new ControlClient({ master: router.lastEndpoint!, timeoutMs: 200 });
    try {
      const pinging = quick.ping();
      const { identity } = await receiveRequest();
      await router.send([identity, Buffer.from('not mmop')]);
      await expect(pinging).rejects.toBeInstanceOf(MasterUnreachableError);
      await expect(quick.ping()).rejects.toThrow(
        /no answer from the master at tcp:\/\/127\.0\.0\.1:\d+ to PING within 200 ms/,
      );
    } finally {
      quick.close();
    }
  });

  it('control - closing fails the calls in flight and refuses new ones', async () => {
    const pinging = client.ping();
    await receiveRequest();
    expect(client.state).toBe('open');
    client.close({ reason: 'done' });
    expect(client.state).toBe('closed');
    await expect(pinging).rejects.toBeInstanceOf(ControlClientClosedError);
    await expect(client.workers()).rejects.toBeInstanceOf(ControlClientClosedError);
    // Idempotent: a second close changes nothing.
    client.close();
    expect(client.state).toBe('closed');
  });
});

describe('control client - options', () => {
  it("control - CURVE needs both keys, in Z85; a half or malformed setting is InvalidOptionError of component 'control'", () => {
    const pair = generateCurveKeyPair();
    const refusal = (options: ConstructorParameters<typeof ControlClient>[0]): unknown => {
      try {
        new ControlClient(options).close();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(refusal({ curveSecretKey: pair.secretKey })).toMatchObject({
      component: 'control',
      option: 'masterKey',
    });
    expect(refusal({ masterKey: pair.publicKey })).toMatchObject({
      component: 'control',
      option: 'curveSecretKey',
    });
    const malformed = refusal({ curveSecretKey: 'short', masterKey: pair.publicKey });
    expect(malformed).toBeInstanceOf(InvalidOptionError);
    expect(malformed).toMatchObject({ component: 'control', option: 'curveSecretKey' });
    expect(String(malformed)).toMatch(
      /invalid control option curveSecretKey: expected CURVE keys in Z85/,
    );
  });

  it('control - without a master option it uses DEFAULT_MASTER_ENDPOINT; MONOMYTH_MASTER is for the apps to read', () => {
    const saved = process.env.MONOMYTH_MASTER;
    process.env.MONOMYTH_MASTER = 'tcp://192.0.2.1:1';
    try {
      const defaulted = new ControlClient({ timeoutMs: 100 });
      expect(defaulted.master).toBe(DEFAULT_MASTER_ENDPOINT);
      defaulted.close();
    } finally {
      if (saved === undefined) delete process.env.MONOMYTH_MASTER;
      else process.env.MONOMYTH_MASTER = saved;
    }
  });

  it('control - its routing id is of the plain shape, one instance per client', async () => {
    const ping = client.ping();
    const { identity } = await receiveRequest();
    expect(plainInstance(identity)).toMatch(/^[0-9a-f]{32}$/);
    await router.send(
      codec.encodeEnvelope(identity, { kind: 'PONG', requestId: 'x', masterEpoch: 'e' }),
    );
    client.close();
    await ping.catch(() => {});
  });
});
