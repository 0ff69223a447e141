/**
 * Keys made by `monomyth keygen` outside Monomyth: pyzmq's `zmq.auth` (real Python, Debian's python3-zmq) loads them,
 * and a pyzmq CURVE client holding them completes a handshake with a zeromq.js CURVE server; with another server key
 * it gets nothing back. Skipped, saying why, only where python3-zmq is not installed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from 'zeromq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSecretCertificate } from '@monomyth/mmop';
import { pyzmqMissing, python } from '../../../packages/mmop/test/pyzmq.js';
import { run } from './processes.js';

const PYZMQ_MISSING = pyzmqMissing('keygen interop tests');

/** Loads certificates with pyzmq, then (given an endpoint) sends one message as a CURVE client and prints the reply. */
const CLIENT = `
import json, sys, zmq, zmq.auth
client_secret_file, server_public_file, keys_dir = sys.argv[1:4]
client_public, client_secret = zmq.auth.load_certificate(client_secret_file)
server_public, _ = zmq.auth.load_certificate(server_public_file)
out = {
  'clientPublic': client_public.decode(),
  'clientSecret': client_secret.decode(),
  'serverPublic': server_public.decode(),
  'allowed': sorted(k.decode() for k in zmq.auth.load_certificates(keys_dir)),
  'reply': None,
}
if len(sys.argv) > 4:
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.curve_publickey, s.curve_secretkey = client_public, client_secret
    s.curve_serverkey = server_public
    s.connect(sys.argv[4])
    s.send(b'hello')
    out['reply'] = s.recv().decode() if s.poll(3000) else None
    s.close()
    ctx.term()
print(json.dumps(out))
`;

interface ClientResult {
  clientPublic: string;
  clientSecret: string;
  serverPublic: string;
  allowed: string[];
  reply: string | null;
}

function pyzmqClient(args: readonly string[]): Promise<ClientResult> {
  return python(CLIENT, args);
}

async function keygen(
  name: string,
  dir: string,
): Promise<{ publicFile: string; secretFile: string; publicKey: string }> {
  const result = await run('control', ['--json', 'keygen', name, '--dir', dir]);
  if (result.code !== 0)
    throw new Error(`monomyth keygen exited ${String(result.code)}: ${result.stderr}`);
  return JSON.parse(result.stdout) as { publicFile: string; secretFile: string; publicKey: string };
}

describe.skipIf(PYZMQ_MISSING !== undefined)('monomyth keygen - interop with pyzmq', () => {
  let dir: string;
  let router: Router;
  let endpoint: string;
  let master: { publicFile: string; secretFile: string; publicKey: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'monomyth-keygen-interop-'));
    master = await keygen('master', join(dir, 'master'));
    const cert = await readSecretCertificate(master.secretFile);
    router = new Router({
      linger: 0,
      curveServer: true,
      curveSecretKey: cert.secretKey,
      curvePublicKey: cert.publicKey,
    });
    await router.bind('tcp://127.0.0.1:*');
    endpoint = router.lastEndpoint ?? '';
    void (async () => {
      for await (const [identity, body] of router) {
        if (identity === undefined || body === undefined) continue;
        await router.send([identity, `echo: ${body.toString()}`]);
      }
    })().catch(() => undefined);
  });

  /**
   * A pyzmq CURVE client with keys keygen made for `name` (in `folder`, its public-keys directory too), sending to the
   * server as if its public key were `serverPublicFile`'s.
   */
  async function handshake(
    name: string,
    folder: string,
    serverPublicFile: string,
  ): Promise<ClientResult> {
    const client = await keygen(name, join(dir, folder));
    return pyzmqClient([client.secretFile, serverPublicFile, join(dir, folder), endpoint]);
  }

  afterAll(async () => {
    router.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keygen interop - pyzmq loads the keys keygen wrote, and load_certificates lists the directory', async () => {
    const workers = join(dir, 'workers');
    const a = await keygen('worker-a', workers);
    const b = await keygen('worker-b', workers);
    const loaded = await pyzmqClient([a.secretFile, master.publicFile, workers]);
    const secret = await readSecretCertificate(a.secretFile);
    expect(loaded).toMatchObject({
      clientPublic: a.publicKey,
      clientSecret: secret.secretKey,
      serverPublic: master.publicKey,
      allowed: [a.publicKey, b.publicKey].sort(),
      reply: null,
    });
  });

  it('keygen interop - a pyzmq CURVE client with keygen keys completes a handshake with a zeromq.js CURVE server', async () => {
    const result = await handshake('controller', 'controllers', master.publicFile);
    expect(result.reply).toBe('echo: hello');
  });

  it('keygen interop - with another server key the pyzmq client gets nothing back', async () => {
    const other = await keygen('not-the-master', join(dir, 'other'));
    const result = await handshake('c2', 'c2', other.publicFile);
    expect(result.reply).toBeNull();
  });
});
