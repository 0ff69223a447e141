/**
 * `monomyth keygen`, run as the user runs it (the built CLI, a child process): what it writes, prints and refuses,
 * and its exit codes. Needs no master.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { curvePublicKeyOf, readCertificate, readSecretCertificate } from '@monomyth/mmop';
import { bin, run } from './processes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monomyth-keygen-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('monomyth keygen', () => {
  it('keygen - writes NAME.key and NAME.key_secret, and prints the public key and both paths', async () => {
    const result = await run('control', ['keygen', 'worker-1', '--dir', dir]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const publicFile = join(dir, 'worker-1.key');
    const secretFile = join(dir, 'worker-1.key_secret');
    const pub = await readCertificate(publicFile);
    const secret = await readSecretCertificate(secretFile);
    expect(secret.publicKey).toBe(pub.publicKey);
    expect(curvePublicKeyOf(secret.secretKey)).toBe(pub.publicKey);
    expect(pub.metadata).toEqual({ name: 'worker-1' });
    expect(result.stdout).toContain(pub.publicKey);
    expect(result.stdout).toContain(publicFile);
    expect(result.stdout).toContain(secretFile);
    // The secret key is never printed.
    expect(result.stdout).not.toContain(secret.secretKey);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    expect((await stat(publicFile)).mode & 0o777).toBe(0o644);
  });

  it('keygen - --json prints the name, the public key and the two paths', async () => {
    const result = await run('control', ['--json', 'keygen', 'ctl', '--dir', dir]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as Record<string, string>;
    expect(printed).toEqual({
      name: 'ctl',
      publicKey: (await readCertificate(join(dir, 'ctl.key'))).publicKey,
      publicFile: join(dir, 'ctl.key'),
      secretFile: join(dir, 'ctl.key_secret'),
    });
  });

  it('keygen - --dir defaults to the current directory, and a missing --dir is created', async () => {
    const nested = join(dir, 'keys', 'workers');
    expect((await run('control', ['keygen', 'w', '--dir', nested])).code).toBe(0);
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
    const here = spawnSync(process.execPath, [bin('control'), 'keygen', 'm'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(here.status).toBe(0);
    expect(here.stdout).toContain(join(dir, 'm.key_secret'));
  });

  it('keygen - refuses to overwrite an existing pair (exit 1, files untouched); --force replaces it', async () => {
    expect((await run('control', ['keygen', 'm', '--dir', dir])).code).toBe(0);
    const before = await readFile(join(dir, 'm.key_secret'), 'utf8');
    const again = await run('control', ['keygen', 'm', '--dir', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${join(dir, 'm.key')}: already exists`);
    expect(again.stderr).toContain('--force');
    expect(await readFile(join(dir, 'm.key_secret'), 'utf8')).toBe(before);

    // Only the secret half there (the public file was handed out and deleted): still refused.
    await rm(join(dir, 'm.key'));
    expect((await run('control', ['keygen', 'm', '--dir', dir])).code).toBe(1);

    const forced = await run('control', ['keygen', 'm', '--dir', dir, '--force']);
    expect(forced.code).toBe(0);
    const after = await readSecretCertificate(join(dir, 'm.key_secret'));
    expect(await readFile(join(dir, 'm.key_secret'), 'utf8')).not.toBe(before);
    expect((await readCertificate(join(dir, 'm.key'))).publicKey).toBe(after.publicKey);
  });

  it('keygen - a file system refusal exits 1 and names the path', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, '');
    const result = await run('control', ['keygen', 'm', '--dir', blocker]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(blocker);
  });

  it('keygen - bad usage exits 2 with one line: no name, a path for a name, an unknown option', async () => {
    for (const args of [
      ['keygen'],
      ['keygen', '../escape', '--dir', dir],
      ['keygen', '.hidden', '--dir', dir],
      ['keygen', 'a', '--bogus'],
    ]) {
      const result = await run('control', args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^error: .*\n$/);
    }
    expect((await run('control', ['keygen', '../escape', '--dir', dir])).stderr).toContain(
      'not a certificate name: "../escape"',
    );
  });
});
