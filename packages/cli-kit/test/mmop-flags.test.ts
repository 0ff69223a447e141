import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MASTER_ENDPOINT, curvePublicKeyOf, writeCertificatePair } from '@monomyth/mmop';
import { loadClientCurveKeys, loadSecretKey, masterEndpointOption } from '../src/index.js';

let dir: string;
let ownPublicKey: string;
let masterPublicKey: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-kit-flags-'));
  ownPublicKey = (await writeCertificatePair(dir, 'own')).publicKey;
  masterPublicKey = (await writeCertificatePair(dir, 'master')).publicKey;
  await writeFile(join(dir, 'junk.key'), 'not a certificate\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CURVE key flags', () => {
  it('cli-kit - neither flag: no keys, plain MMOP', async () => {
    expect(await loadClientCurveKeys({}, 'worker')).toEqual({});
  });

  it('cli-kit - half a CURVE setting is a usage error naming the flag missing and whose certificate it is', async () => {
    expect(await loadClientCurveKeys({ masterKey: join(dir, 'master.key') }, 'worker')).toEqual({
      error: "--master-key needs --curve-secret-key (this worker's own secret certificate)",
    });
    expect(
      await loadClientCurveKeys({ curveSecretKey: join(dir, 'own.key_secret') }, 'client'),
    ).toEqual({ error: "--curve-secret-key needs --master-key (the master's public certificate)" });
  });

  it("cli-kit - both files read: the client's secret key and the master's public key", async () => {
    const keys = await loadClientCurveKeys(
      { curveSecretKey: join(dir, 'own.key_secret'), masterKey: join(dir, 'master.key') },
      'client',
    );
    expect(keys).toMatchObject({ masterKey: masterPublicKey });
    // The secret key read is the one whose public key the pair's public file holds.
    const secret = 'curveSecretKey' in keys ? keys.curveSecretKey : undefined;
    expect(secret && curvePublicKeyOf(secret)).toBe(ownPublicKey);
  });

  it('cli-kit - a missing or malformed file is one line naming it, not a crash', async () => {
    const missing = await loadSecretKey(join(dir, 'nowhere.key_secret'));
    expect(missing).toEqual({ error: expect.stringContaining('nowhere.key_secret') });
    const junk = await loadClientCurveKeys(
      { curveSecretKey: join(dir, 'own.key_secret'), masterKey: join(dir, 'junk.key') },
      'worker',
    );
    expect(junk).toEqual({ error: expect.stringContaining('junk.key') });
  });
});

describe('master endpoint flag', () => {
  const parse = (args: string[], env?: string): string => {
    const saved = process.env.MONOMYTH_MASTER;
    if (env === undefined) delete process.env.MONOMYTH_MASTER;
    else process.env.MONOMYTH_MASTER = env;
    try {
      const program = new Command('test')
        .addOption(masterEndpointOption('--master <endpoint>', "the master's endpoint"))
        .exitOverride()
        .configureOutput({ writeErr: () => {} });
      program.parse(args, { from: 'user' });
      return program.opts<{ master: string }>().master;
    } finally {
      if (saved === undefined) delete process.env.MONOMYTH_MASTER;
      else process.env.MONOMYTH_MASTER = saved;
    }
  };

  it('cli-kit - the flag, else MONOMYTH_MASTER, else DEFAULT_MASTER_ENDPOINT; not an endpoint is refused', () => {
    expect(parse([])).toBe(DEFAULT_MASTER_ENDPOINT);
    expect(parse([], 'tcp://10.0.0.1:6000')).toBe('tcp://10.0.0.1:6000');
    expect(parse(['--master', 'ipc:///tmp/m'], 'tcp://10.0.0.1:6000')).toBe('ipc:///tmp/m');
    expect(() => parse(['--master', 'localhost:5555'])).toThrow(/ZeroMQ endpoint/);
  });
});
