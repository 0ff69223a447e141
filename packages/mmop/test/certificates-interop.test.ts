/**
 * Certificates across implementations, with real sockets: pairs made by pyzmq's `zmq.auth.create_certificates` (real
 * Python, Debian's python3-zmq) load here and carry a CURVE handshake between a zeromq.js ROUTER and DEALER, with the
 * client's key reaching a ZAP handler as the 32 bytes our Z85 codec decodes; and pairs written here load in pyzmq and
 * let a pyzmq CURVE client talk to a zeromq.js CURVE server. A wrong server key gets nothing through, so a handshake
 * that "works" by accident would fail these tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dealer, Router } from 'zeromq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  curveKeyToZ85,
  readCertificate,
  readPublicKeysDir,
  readSecretCertificate,
  writeCertificatePair,
} from '../src/index.js';
import { pyzmqMissing, python } from './pyzmq.js';

const PYZMQ_MISSING = pyzmqMissing('certificates interop tests');

const CREATE = `
import json, sys, zmq.auth
pub, sec = zmq.auth.create_certificates(sys.argv[1], sys.argv[2], metadata={'made-by': 'pyzmq'})
print(json.dumps({'publicFile': pub, 'secretFile': sec}))
`;

const LOAD = `
import json, sys, zmq.auth
out = {}
for f in sys.argv[1:]:
    pub, sec = zmq.auth.load_certificate(f)
    out[f] = {'public': pub.decode(), 'secret': sec.decode() if sec else None}
print(json.dumps(out))
`;

const LOAD_DIR = `
import json, sys, zmq.auth
print(json.dumps(sorted(k.decode() for k in zmq.auth.load_certificates(sys.argv[1]))))
`;

/** A pyzmq CURVE DEALER: sends one message and prints the reply, or null when none comes within the timeout. */
const CLIENT = `
import json, sys, zmq, zmq.auth
endpoint, client_secret_file, server_public_file = sys.argv[1:4]
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.linger = 0
s.curve_publickey, s.curve_secretkey = zmq.auth.load_certificate(client_secret_file)
s.curve_serverkey, _ = zmq.auth.load_certificate(server_public_file)
s.connect(endpoint)
s.send(b'hello from pyzmq')
reply = s.recv().decode() if s.poll(3000) else None
print(json.dumps({'reply': reply}))
s.close()
ctx.term()
`;

/** What the pyzmq CLIENT with `clientSecretFile`, trusting `serverPublicFile`, got back from `endpoint`. */
function pyzmqClient(
  endpoint: string,
  clientSecretFile: string,
  serverPublicFile: string,
): Promise<{ reply: string | null }> {
  return python(CLIENT, [endpoint, clientSecretFile, serverPublicFile]);
}

let dir: string;
const sockets: { close: () => void }[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mmop-interop-'));
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await rm(dir, { recursive: true, force: true });
});

/** A zeromq.js CURVE server that answers each message with "echo: " + message. */
async function echoServer(secretKey: string, publicKey: string): Promise<string> {
  const router = new Router({
    linger: 0,
    curveServer: true,
    curveSecretKey: secretKey,
    curvePublicKey: publicKey,
  });
  sockets.push(router);
  await router.bind('tcp://127.0.0.1:*');
  void (async () => {
    for await (const [identity, body] of router) {
      if (identity === undefined || body === undefined) continue;
      await router.send([identity, `echo: ${body.toString()}`]);
    }
  })().catch(() => undefined);
  return router.lastEndpoint ?? '';
}

describe.skipIf(PYZMQ_MISSING !== undefined)('certificates - interop with pyzmq', () => {
  it('interop - a pyzmq pair loads as pyzmq wrote it, and pyzmq reads the same keys', async () => {
    const made = await python<{ publicFile: string; secretFile: string }>(CREATE, [dir, 'server']);
    const secret = await readSecretCertificate(made.secretFile);
    const pub = await readCertificate(made.publicFile);
    const pyzmq = await python<Record<string, { public: string; secret: string | null }>>(LOAD, [
      made.secretFile,
      made.publicFile,
    ]);
    expect(secret.publicKey).toBe(pyzmq[made.secretFile]?.public);
    expect(secret.secretKey).toBe(pyzmq[made.secretFile]?.secret);
    expect(secret.metadata).toEqual({ 'made-by': 'pyzmq' });
    expect(pub.publicKey).toBe(secret.publicKey);
  });

  it('interop - pyzmq keys carry a CURVE handshake between a zeromq.js ROUTER and DEALER; ZAP sees the client key as 32 bytes', async () => {
    const server = await python<{ publicFile: string; secretFile: string }>(CREATE, [
      dir,
      'server',
    ]);
    const client = await python<{ publicFile: string; secretFile: string }>(CREATE, [
      dir,
      'client',
    ]);
    const serverCert = await readSecretCertificate(server.secretFile);
    const clientCert = await readSecretCertificate(client.secretFile);
    // The allow-list a master would load: both public files of the directory.
    const allowed = new Set((await readPublicKeysDir(dir)).map((entry) => entry.publicKey));
    expect(allowed).toEqual(new Set([serverCert.publicKey, clientCert.publicKey]));

    // A ZAP handler in the sockets' context: it sees the credential as 32 raw bytes and allows listed keys.
    const zap = new Router({ linger: 0 });
    sockets.push(zap);
    await zap.bind('inproc://zeromq.zap.01');
    const seen: string[] = [];
    void (async () => {
      for await (const frames of zap) {
        const [peer, , version, requestId, , , , mechanism, credential] = frames;
        if (peer === undefined || requestId === undefined || credential === undefined) continue;
        // Checked after the exchange: an expect() failing in this loop would only end the loop.
        const key = `${mechanism?.toString() ?? ''}:${curveKeyToZ85(credential)}`;
        seen.push(key);
        const ok = allowed.has(key.slice('CURVE:'.length));
        await zap.send([
          peer,
          '',
          version ?? '1.0',
          requestId,
          ok ? '200' : '400',
          ok ? 'OK' : 'unlisted',
          '',
          '',
        ]);
      }
    })().catch(() => undefined);

    const router = new Router({
      linger: 0,
      curveServer: true,
      curveSecretKey: serverCert.secretKey,
      curvePublicKey: serverCert.publicKey,
    });
    sockets.push(router);
    await router.bind('tcp://127.0.0.1:*');
    const publicServerKey = (await readCertificate(server.publicFile)).publicKey;
    const dealer = new Dealer({
      linger: 0,
      curveServerKey: publicServerKey,
      curvePublicKey: clientCert.publicKey,
      curveSecretKey: clientCert.secretKey,
    });
    sockets.push(dealer);
    dealer.connect(router.lastEndpoint ?? '');
    await dealer.send('ping');
    const [identity, body] = await router.receive();
    expect(body?.toString()).toBe('ping');
    expect(router.securityMechanism).toBe('curve');
    await router.send([identity ?? Buffer.alloc(0), 'pong']);
    expect((await dealer.receive())[0]?.toString()).toBe('pong');
    expect(seen).toEqual([`CURVE:${clientCert.publicKey}`]);
  });

  it('interop - pairs written here load in pyzmq, and a pyzmq CURVE client talks to a zeromq.js CURVE server', async () => {
    const server = await writeCertificatePair(dir, 'server', { role: 'master' });
    const client = await writeCertificatePair(dir, 'client');
    const pyzmq = await python<Record<string, { public: string; secret: string | null }>>(LOAD, [
      server.publicFile,
      client.secretFile,
    ]);
    expect(pyzmq[server.publicFile]).toEqual({ public: server.publicKey, secret: null });
    const clientCert = await readSecretCertificate(client.secretFile);
    expect(pyzmq[client.secretFile]).toEqual({
      public: client.publicKey,
      secret: clientCert.secretKey,
    });
    expect(await python<string[]>(LOAD_DIR, [dir])).toEqual(
      [server.publicKey, client.publicKey].sort(),
    );

    const serverCert = await readSecretCertificate(server.secretFile);
    const endpoint = await echoServer(serverCert.secretKey, serverCert.publicKey);
    expect(await pyzmqClient(endpoint, client.secretFile, server.publicFile)).toEqual({
      reply: 'echo: hello from pyzmq',
    });
  });

  it('interop - a pyzmq client holding the wrong server key gets nothing back', async () => {
    const server = await writeCertificatePair(dir, 'server');
    const impostor = await writeCertificatePair(dir, 'impostor');
    const client = await writeCertificatePair(dir, 'client');
    const serverCert = await readSecretCertificate(server.secretFile);
    const endpoint = await echoServer(serverCert.secretKey, serverCert.publicKey);
    expect(await pyzmqClient(endpoint, client.secretFile, impostor.publicFile)).toEqual({
      reply: null,
    });
  });
});
