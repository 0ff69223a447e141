/**
 * amqps:// against a RabbitMQ of this file's own with TLS on: a CA and a server certificate made here with the
 * openssl CLI, the broker's TLS listener configured through the launcher's rabbitmq.conf settings. The adapter given
 * the CA connects (the broker lists both its connections as TLS) and a message goes round; without the CA, with
 * another CA, or expecting another server name, it refuses to connect. Plus the option checks of `tls`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RabbitMqServer, freePort } from '@monomyth/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RabbitMqConnectionError,
  InvalidOptionError,
  RabbitMqStreamAdapter,
  compileRabbitMqOptions,
} from '../src/index.js';
import type { RabbitMqTlsOptions } from '../src/index.js';
import { collect, publishValues, uniqueName, valuesOf } from './helpers.js';

let dir: string;
let server: RabbitMqServer;
let tlsUrl: string;
let ca: string;
let otherCa: string;
let adapters: RabbitMqStreamAdapter[] = [];

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA (`<name>.pem`, `<name>.key`). */
function makeCa(name: string): void {
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    ]),
  );
}

/** `server.pem` / `server.key` for localhost and 127.0.0.1, signed by the CA `ca`. */
function makeServerCertificate(): void {
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName = DNS:localhost, IP:127.0.0.1\n');
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost'].concat([
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    ]),
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
    ].concat(['-days', '2', '-extfile', 'san.ext', '-out', 'server.pem']),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'monomyth-tls-'));
  makeCa('ca');
  makeCa('other-ca');
  makeServerCertificate();
  ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  otherCa = readFileSync(join(dir, 'other-ca.pem'), 'utf8');
  const tlsPort = await freePort();
  // The launcher runs the broker as this process's user, so it reads the files it just wrote.
  server = await RabbitMqServer.start({
    config: {
      'listeners.ssl.default': `127.0.0.1:${String(tlsPort)}`,
      'ssl_options.cacertfile': join(dir, 'ca.pem'),
      'ssl_options.certfile': join(dir, 'server.pem'),
      'ssl_options.keyfile': join(dir, 'server.key'),
      'ssl_options.verify': 'verify_none',
      'ssl_options.fail_if_no_peer_cert': 'false',
    },
  });
  tlsUrl = `amqps://guest:guest@localhost:${String(tlsPort)}`;
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(adapters.map((adapter) => adapter.close()));
  adapters = [];
});

function adapter(
  tls: RabbitMqTlsOptions | undefined,
  connectionName = 'monomyth-tls',
): RabbitMqStreamAdapter {
  const made = new RabbitMqStreamAdapter({
    url: tlsUrl,
    tls,
    connectionName,
    connectTimeoutMs: 5_000,
    reconnect: { maxAttempts: 0 },
    queueType: 'classic',
  });
  adapters.push(made);
  return made;
}

async function openError(made: RabbitMqStreamAdapter): Promise<unknown> {
  return made.open().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('rabbitmq over TLS (amqps://)', () => {
  it('tls - with the CA, the adapter connects over TLS and a message round trip works', async () => {
    const connectionName = uniqueName('tls');
    const made = adapter({ ca }, connectionName);
    await made.open();
    const queue = uniqueName('tls-queue');
    await publishValues(made, queue, [{ n: 1 }, { n: 2 }, 'three']);
    const received = await collect(made, queue, (got) => got.length >= 3, 10_000);
    expect(valuesOf(received)).toEqual([{ n: 1 }, { n: 2 }, 'three']);

    // The broker's own view: both of the adapter's connections are TLS ones.
    const listed = await server.rabbitmqctl([
      'list_connections',
      'client_properties',
      'ssl',
      'ssl_protocol',
    ]);
    const ours = listed.split('\n').filter((line) => line.includes(connectionName));
    expect(ours).toHaveLength(2);
    for (const line of ours) expect(line).toMatch(/\ttrue\ttlsv1\.[23]/);
  });

  it('tls - a Buffer CA and a list of CAs work too', async () => {
    await adapter({ ca: Buffer.from(ca) }).open();
    await adapter({ ca: [otherCa, ca] }).open();
  });

  it('tls - without the CA the broker is not trusted: open fails with a connection error that says why', async () => {
    const error = await openError(adapter(undefined));
    expect(error).toBeInstanceOf(RabbitMqConnectionError);
    expect((error as Error).message).toMatch(/certificate/i);
    expect((error as Error).message).not.toContain('guest:guest');
  });

  it('tls - a CA that did not sign the broker certificate is refused', async () => {
    const error = await openError(adapter({ ca: otherCa }));
    expect(error).toBeInstanceOf(RabbitMqConnectionError);
    expect((error as Error).message).toMatch(/certificate/i);
  });

  it('tls - a server name the certificate does not carry is refused', async () => {
    const error = await openError(adapter({ ca, servername: 'rabbit.example.com' }));
    expect(error).toBeInstanceOf(RabbitMqConnectionError);
    expect((error as Error).message).toMatch(/rabbit\.example\.com|altnames|Hostname/i);
  });
});

/** Opens an adapter without the tls option in a new Node process with `env`; resolves with what it printed. */
function openInChild(env: NodeJS.ProcessEnv): string {
  const script = `
    const { RabbitMqStreamAdapter } = await import('@monomyth/rmq');
    const adapter = new RabbitMqStreamAdapter({ url: process.env.TLS_URL, connectTimeoutMs: 5000, reconnect: { maxAttempts: 0 } });
    try { await adapter.open(); console.log('connected'); }
    catch (error) { console.log('refused: ' + error.message); }
    finally { await adapter.close(); }
  `;
  // The package imports itself by name (its exports map), as an app that depends on it would.
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, ...env, TLS_URL: tlsUrl },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('rabbitmq over TLS, the CA from the environment', () => {
  it('tls - NODE_EXTRA_CA_CERTS lets an adapter without the tls option (the worker app) trust the broker', () => {
    expect(openInChild({ NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') })).toBe('connected\n');
    expect(openInChild({ NODE_EXTRA_CA_CERTS: '' })).toMatch(/^refused: .*certificate/i);
  });
});

describe('rabbitmq tls options', () => {
  it('tls options - refused with amqp:// URLs, where they would do nothing', () => {
    expect(() => compileRabbitMqOptions({ url: 'amqp://u:secret@h', tls: { ca } })).toThrow(
      InvalidOptionError,
    );
    expect(() =>
      compileRabbitMqOptions({ url: ['amqps://h1', 'amqp://u:secret@h2'], tls: { ca } }),
    ).toThrow(/"amqp:\/\/u:\*\*\*@h2" is not amqps:\/\//);
    expect(compileRabbitMqOptions({ url: ['amqps://h1', 'amqps://h2'], tls: { ca } }).tls).toEqual({
      ca,
    });
    expect(compileRabbitMqOptions({ url: 'amqps://h' }).tls).toBeUndefined();
  });

  it('tls options - wrong types are refused, naming the option', () => {
    const bad: [string, unknown][] = [
      ['tls', 'ca.pem'],
      ['tls.ca', 42],
      ['tls.ca', [ca, 42]],
      ['tls.cert', {}],
      ['tls.key', 1],
      ['tls.passphrase', 1],
      ['tls.servername', false],
      ['tls.rejectUnauthorized', 'no'],
    ];
    for (const [option, value] of bad) {
      const tls = option === 'tls' ? value : { [option.slice('tls.'.length)]: value };
      expect(
        () => compileRabbitMqOptions({ url: 'amqps://h', tls: tls as RabbitMqTlsOptions }),
        option,
      ).toThrow(expect.objectContaining({ option }) as Error);
    }
  });
});
