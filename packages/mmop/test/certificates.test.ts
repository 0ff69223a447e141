/**
 * Certificate files: files written by pyzmq and czmq (checked in under golden/certificates) load as they are; pairs
 * written here round trip, have the modes they promise and the layout of the golden template; every bad file is a
 * CertificateError that names the file and says why.
 */
import { execFileSync } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CertificateError,
  CertificateErrorCode,
  MAX_CERTIFICATE_BYTES,
  curvePublicKeyOf,
  generateCurveKeyPair,
  parseCertificate,
  readCertificate,
  readPublicKeysDir,
  readSecretCertificate,
  writeCertificatePair,
} from '../src/index.js';

const GOLDEN = fileURLToPath(new URL('./golden/certificates/', import.meta.url));
const ALICE_PUBLIC = 'Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID';
const ALICE_SECRET = 'D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs';
const SERVER_PUBLIC = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
const SERVER_SECRET = 'JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mmop-certs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCertificateError(
  promise: Promise<unknown>,
  code: CertificateErrorCode,
  file: string,
  message?: RegExp,
): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CertificateError);
  const certError = error as CertificateError;
  expect(certError.code).toBe(code);
  expect(certError.file).toBe(file);
  expect(certError.message).toContain(file);
  if (message !== undefined) expect(certError.message).toMatch(message);
}

describe('certificates - reading files other tools wrote', () => {
  it('certificates - a pyzmq pair loads: public key, secret key, bare metadata values', async () => {
    const secret = await readCertificate(join(GOLDEN, 'pyzmq-server.key_secret'));
    const pub = await readCertificate(join(GOLDEN, 'pyzmq-server.key'));
    expect(secret.publicKey).toBe('Jz/!w3QeO{dKNqS119lBYquK3G-IkJkm%gt&JJ!/');
    expect(secret.secretKey).toBe('pU?A})qyl69URB}3ieS=ZeG-81.CM=pFXUonI(a6');
    expect(secret.metadata).toEqual({ owner: 'ops team', role: 'master' });
    expect(pub).toEqual({ publicKey: secret.publicKey, metadata: {} });
  });

  it.each([
    {
      what: 'a czmq pair loads, with quoted metadata',
      file: 'czmq-alice.key_secret',
      cert: {
        publicKey: ALICE_PUBLIC,
        secretKey: ALICE_SECRET,
        metadata: { name: 'alice', email: 'alice@example.com' },
      },
    },
    {
      what: 'liberal reading: BOM, CRLF, tabs, mixed indentation, single quotes, comments, other sections',
      file: 'liberal.key_secret',
      cert: {
        publicKey: SERVER_PUBLIC,
        secretKey: SERVER_SECRET,
        metadata: { owner: 'the "ops" team', note: 'bare value here' },
      },
    },
  ])('certificates - $what', async ({ file, cert }) => {
    expect(await readSecretCertificate(join(GOLDEN, file))).toEqual(cert);
  });

  it('certificates - a public file has no secret key', async () => {
    expect((await readCertificate(join(GOLDEN, 'czmq-alice.key'))).secretKey).toBeUndefined();
  });

  it('certificates - a key outside the curve section is still found, as pyzmq finds it', () => {
    expect(parseCertificate(`public-key = "${ALICE_PUBLIC}"\n`, 'x.key').publicKey).toBe(
      ALICE_PUBLIC,
    );
  });

  it('certificates - an unquoted key holding "#" (a Z85 character) is read whole, not cut as a comment', () => {
    let pair = generateCurveKeyPair();
    while (!pair.publicKey.slice(1).includes('#')) pair = generateCurveKeyPair();
    const text = `curve\n    public-key = ${pair.publicKey}   # a comment\n    secret-key = ${pair.secretKey}\n`;
    expect(parseCertificate(text, 'x.key_secret')).toMatchObject(pair);
  });

  it('certificates - the public key derives from the secret key as libzmq derives it', () => {
    expect(curvePublicKeyOf(ALICE_SECRET)).toBe(ALICE_PUBLIC);
    expect(curvePublicKeyOf(SERVER_SECRET)).toBe(SERVER_PUBLIC);
  });
});

describe('certificates - writing a pair', () => {
  it('certificates - a written pair reads back: same public key in both files, secret matches, metadata kept', async () => {
    const written = await writeCertificatePair(dir, 'worker-1', {
      role: 'worker',
      owner: 'a "b" c',
    });
    expect(written.publicFile).toBe(join(dir, 'worker-1.key'));
    expect(written.secretFile).toBe(join(dir, 'worker-1.key_secret'));
    const pub = await readCertificate(written.publicFile);
    const secret = await readSecretCertificate(written.secretFile);
    expect(pub.publicKey).toBe(written.publicKey);
    expect(pub.secretKey).toBeUndefined();
    expect(secret.publicKey).toBe(written.publicKey);
    expect(curvePublicKeyOf(secret.secretKey)).toBe(written.publicKey);
    expect(secret.metadata).toEqual({ role: 'worker', owner: 'a "b" c' });
    expect(pub.metadata).toEqual(secret.metadata);
  });

  it('certificates - the written layout matches the golden template (czmq layout, 4-space indent, quoted values)', async () => {
    const written = await writeCertificatePair(dir, 'alice', { name: 'alice' });
    for (const [file, template] of [
      [written.publicFile, 'monomyth-template.key'],
      [written.secretFile, 'monomyth-template.key_secret'],
    ] as const) {
      const text = (await readFile(file, 'utf8'))
        .replace(/Generated on \S+/, 'Generated on DATE')
        .replace(/public-key = "[^"]{40}"/, 'public-key = "PUBLIC"')
        .replace(/secret-key = "[^"]{40}"/, 'secret-key = "SECRET"');
      expect(text).toBe(await readFile(join(GOLDEN, template), 'utf8'));
    }
  });

  it('certificates - the secret file is 0600 and the public file 0644, even with an open umask', async () => {
    const previous = process.umask(0);
    try {
      const written = await writeCertificatePair(join(dir, 'new', 'keys'), 'm');
      expect((await stat(written.secretFile)).mode & 0o777).toBe(0o600);
      expect((await stat(written.publicFile)).mode & 0o777).toBe(0o644);
      // A directory it creates is private: it will hold secrets.
      expect((await stat(join(dir, 'new', 'keys'))).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(previous);
    }
  });

  it('certificates - every pair is new', async () => {
    const a = await writeCertificatePair(dir, 'a');
    const b = await writeCertificatePair(dir, 'b');
    expect(a.publicKey).not.toBe(b.publicKey);
    expect(generateCurveKeyPair().secretKey).not.toBe(generateCurveKeyPair().secretKey);
  });

  it('certificates - refuses to overwrite either file, and leaves the existing one untouched', async () => {
    const first = await writeCertificatePair(dir, 'm');
    await expectCertificateError(
      writeCertificatePair(dir, 'm'),
      CertificateErrorCode.Exists,
      first.publicFile,
    );
    await rm(first.publicFile);
    await expectCertificateError(
      writeCertificatePair(dir, 'm'),
      CertificateErrorCode.Exists,
      first.secretFile,
    );
    expect((await readCertificate(first.secretFile)).publicKey).toBe(first.publicKey);
  });

  it('certificates - overwrite replaces both with a new pair, and a replaced secret file is 0600 again', async () => {
    const first = await writeCertificatePair(dir, 'm');
    await chmod(first.secretFile, 0o644);
    const second = await writeCertificatePair(dir, 'm', {}, { overwrite: true });
    expect(second.publicKey).not.toBe(first.publicKey);
    expect((await readSecretCertificate(second.secretFile)).publicKey).toBe(second.publicKey);
    expect((await stat(second.secretFile)).mode & 0o777).toBe(0o600);
  });

  it('certificates - overwrite leaves no temporary file behind, and a directory listing sees only the pair', async () => {
    await writeCertificatePair(dir, 'm');
    await writeCertificatePair(dir, 'm', {}, { overwrite: true });
    expect((await readdir(dir)).sort()).toEqual(['m.key', 'm.key_secret']);
  });

  it('certificates - a symlink planted at the secret path is never written through', async () => {
    const target = join(dir, 'elsewhere');
    await writeFile(target, 'untouched');
    await symlink(target, join(dir, 'm.key_secret'));
    await expectCertificateError(
      writeCertificatePair(dir, 'm'),
      CertificateErrorCode.Exists,
      join(dir, 'm.key_secret'),
    );
    // Replacing swaps the link itself for a new file; the file it pointed to keeps its content.
    const written = await writeCertificatePair(dir, 'm', {}, { overwrite: true });
    expect(await readFile(target, 'utf8')).toBe('untouched');
    expect((await lstat(written.secretFile)).isSymbolicLink()).toBe(false);
    expect((await stat(written.secretFile)).mode & 0o777).toBe(0o600);
  });

  it('certificates - a name that is not a plain file name is refused', async () => {
    for (const name of ['', '../escape', 'a/b', '.hidden', '-flag', 'sp ace']) {
      await expect(writeCertificatePair(dir, name)).rejects.toMatchObject({
        code: CertificateErrorCode.BadName,
      });
    }
  });

  it('certificates - metadata ZPL cannot carry is refused, naming the key', async () => {
    await expect(writeCertificatePair(dir, 'm', { 'bad name': 'x' })).rejects.toMatchObject({
      code: CertificateErrorCode.BadMetadata,
    });
    await expect(writeCertificatePair(dir, 'm', { note: 'two\nlines' })).rejects.toThrow(/note/);
    await expect(writeCertificatePair(dir, 'm', { note: `both " and '` })).rejects.toMatchObject({
      code: CertificateErrorCode.BadMetadata,
    });
    // pyzmq would read this line as the key.
    await expect(writeCertificatePair(dir, 'm', { 'public-key-owner': 'x' })).rejects.toMatchObject(
      { code: CertificateErrorCode.BadMetadata },
    );
  });
});

describe('certificates - bad files', () => {
  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  /** Writes `text` to `name` and expects readCertificate to refuse it with `code`, naming the file. */
  async function expectRefused(
    name: string,
    text: string,
    code: CertificateErrorCode,
    message?: RegExp,
  ): Promise<void> {
    const path = await file(name, text);
    await expectCertificateError(readCertificate(path), code, path, message);
  }

  it('certificates - a missing file is NOT_FOUND', async () => {
    const path = join(dir, 'none.key');
    await expectCertificateError(readCertificate(path), CertificateErrorCode.NotFound, path);
  });

  it('certificates - a directory is UNREADABLE', async () => {
    await expectCertificateError(readCertificate(dir), CertificateErrorCode.Unreadable, dir);
  });

  it('certificates - a FIFO or a device is UNREADABLE at once (never waited on, never read to the end)', async () => {
    const fifo = join(dir, 'fifo.key');
    execFileSync('mkfifo', [fifo]);
    await expectCertificateError(
      readCertificate(fifo),
      CertificateErrorCode.Unreadable,
      fifo,
      /regular file/,
    );
    await expectCertificateError(
      readCertificate('/dev/zero'),
      CertificateErrorCode.Unreadable,
      '/dev/zero',
    );
  });

  it('certificates - a file larger than any certificate is MALFORMED without being read', async () => {
    await expectRefused(
      'big.key',
      `curve\n    public-key = "${ALICE_PUBLIC}"\n${'#'.repeat(MAX_CERTIFICATE_BYTES)}\n`,
      CertificateErrorCode.Malformed,
      /larger than any certificate/,
    );
  });

  it('certificates - text that is not ZPL is MALFORMED, with the line', async () => {
    await expectRefused(
      'x.key',
      `curve\n    public-key = "${ALICE_PUBLIC}\n`,
      CertificateErrorCode.Malformed,
      /line 2/,
    );
    await expectRefused('y.key', 'curve\n    = "x"\n', CertificateErrorCode.Malformed);
  });

  it('certificates - no public key is MISSING_KEY', async () => {
    await expectRefused('x.key', 'metadata\ncurve\n', CertificateErrorCode.MissingKey);
    await expectRefused('empty.key', '', CertificateErrorCode.MissingKey);
  });

  it('certificates - a key that is not 40 Z85 characters is BAD_KEY', async () => {
    for (const key of [
      ALICE_PUBLIC.slice(1),
      `${ALICE_PUBLIC} `,
      ALICE_PUBLIC.replace('Y', ' '),
      '',
    ]) {
      await expectRefused(
        'x.key',
        `curve\n    public-key = "${key}"\n`,
        CertificateErrorCode.BadKey,
      );
    }
    await expectRefused(
      'x.key_secret',
      `curve\n    public-key = "${ALICE_PUBLIC}"\n    secret-key = "${ALICE_SECRET.slice(0, 39)}~"\n`,
      CertificateErrorCode.BadKey,
    );
  });

  it('certificates - halves of two different pairs are KEY_MISMATCH', async () => {
    await expectRefused(
      'x.key_secret',
      `curve\n    public-key = "${SERVER_PUBLIC}"\n    secret-key = "${ALICE_SECRET}"\n`,
      CertificateErrorCode.KeyMismatch,
    );
  });

  it('certificates - a public certificate given where a secret one is needed is MISSING_KEY', async () => {
    const path = join(GOLDEN, 'czmq-alice.key');
    await expectCertificateError(
      readSecretCertificate(path),
      CertificateErrorCode.MissingKey,
      path,
      /key_secret/,
    );
  });
});

describe('certificates - a directory of public keys', () => {
  it('certificates - lists every *.key file sorted, skipping secrets, hidden files, other files and directories', async () => {
    const b = await writeCertificatePair(dir, 'b');
    const a = await writeCertificatePair(dir, 'a');
    await writeFile(join(dir, 'README'), 'not a key');
    await writeFile(join(dir, '.editor.key'), 'garbage');
    await mkdir(join(dir, 'sub.key'));
    expect(await readPublicKeysDir(dir)).toEqual([
      { publicKey: a.publicKey, file: a.publicFile },
      { publicKey: b.publicKey, file: b.publicFile },
    ]);
  });

  it('certificates - an empty directory is an empty list', async () => {
    expect(await readPublicKeysDir(dir)).toEqual([]);
  });

  it('certificates - one malformed file fails the whole read, naming that file', async () => {
    await writeCertificatePair(dir, 'good');
    const bad = join(dir, 'bad.key');
    await writeFile(bad, 'curve\n    public-key = "short"\n');
    await expectCertificateError(readPublicKeysDir(dir), CertificateErrorCode.BadKey, bad);
  });

  it('certificates - a missing directory is NOT_FOUND', async () => {
    const missing = join(dir, 'missing');
    await expectCertificateError(
      readPublicKeysDir(missing),
      CertificateErrorCode.NotFound,
      missing,
    );
  });
});
