/**
 * ZeroMQ CURVE certificate files, as czmq and pyzmq's `zmq.auth` read and write them: `NAME.key` holds the public
 * key, `NAME.key_secret` the secret key beside it, each a ZPL file with a `metadata` section and a `curve` section
 * (`public-key = "..."`, `secret-key = "..."`, 40-character Z85). Keys made by either tool load here as they are, and
 * pairs written here load in both.
 *
 * Keys are X25519 key pairs made with node:crypto: the same curve and 32-byte encoding as libsodium's
 * `crypto_box_keypair`, which is what zeromq's `curveKeyPair()` calls, so this package needs no native module.
 * Reading a secret certificate checks that its public key is the one its secret key derives, so a file whose halves
 * do not belong together fails here by name instead of as a silent handshake failure.
 *
 * Writing a pair is certificate-writer.ts.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { MonomythError, brandError } from './monomyth-error.js';
import { curveKeyFromZ85, curveKeyToZ85, Z85Error } from './z85.js';
import { parseZpl, zplChild, zplFind, zplSettings, ZplSyntaxError } from './zpl.js';
import type { ZplNode } from './zpl.js';

/** Why a certificate could not be read or written. */
export const CertificateErrorCode = {
  /** The file or directory does not exist. */
  NotFound: 'NOT_FOUND',
  /** It exists but could not be read (permissions, a directory where a file was expected, ...). */
  Unreadable: 'UNREADABLE',
  /** The text is not ZPL. */
  Malformed: 'MALFORMED',
  /** No `public-key` (or, where a secret certificate is required, no `secret-key`). */
  MissingKey: 'MISSING_KEY',
  /** A key is not 40 characters of Z85. */
  BadKey: 'BAD_KEY',
  /** The public key is not the one the secret key derives. */
  KeyMismatch: 'KEY_MISMATCH',
  /** Writing would overwrite an existing file. */
  Exists: 'EXISTS',
  /** The certificate name is not a plain file name. */
  BadName: 'BAD_NAME',
  /** A metadata name or value that ZPL cannot carry. */
  BadMetadata: 'BAD_METADATA',
  /** The file system refused a write. */
  WriteFailed: 'WRITE_FAILED',
} as const;

export type CertificateErrorCode = (typeof CertificateErrorCode)[keyof typeof CertificateErrorCode];

/** A certificate file that cannot be read or written; `file` names it, and the message says why. */
export class CertificateError extends MonomythError {
  static {
    brandError(this, '@monomyth/mmop.CertificateError');
  }

  readonly code: CertificateErrorCode;
  readonly file: string;
  /** The message without the file name. */
  readonly reason: string;

  constructor(code: CertificateErrorCode, file: string, reason: string, cause?: unknown) {
    super(`${file}: ${reason}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.file = file;
    this.reason = reason;
  }
}

/**
 * The CertificateError for a file system error on `file`: the one errno a caller expects (`ENOENT`, `EEXIST`) gets its
 * own code and reason; any other is `otherwise`, with the errno in the reason (`cannot read: EACCES`).
 */
export function fileError(
  error: unknown,
  file: string,
  expected: {
    readonly errno: string;
    readonly code: CertificateErrorCode;
    readonly reason: string;
  },
  otherwise: { readonly code: CertificateErrorCode; readonly doing: string },
): CertificateError {
  const errno = (error as NodeJS.ErrnoException).code;
  return errno === expected.errno
    ? new CertificateError(expected.code, file, expected.reason, error)
    : new CertificateError(otherwise.code, file, `${otherwise.doing}: ${String(errno)}`, error);
}

/** A certificate as read from a file: keys in Z85 (40 characters). */
export interface Certificate {
  readonly publicKey: string;
  /** Present when the file holds the secret key (a `.key_secret` file). */
  readonly secretKey?: string;
  readonly metadata: Record<string, string>;
}

/** A certificate that holds its secret key. */
export interface SecretCertificate extends Certificate {
  readonly secretKey: string;
}

/** A CURVE key pair in Z85. */
export interface CurveKeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

/** DER prefix of a PKCS#8 X25519 private key: the 32 raw bytes follow it. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** A fresh CURVE key pair (X25519, as libsodium and zeromq make them). */
export function generateCurveKeyPair(): CurveKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    publicKey: curveKeyToZ85(Buffer.from(jwk.x ?? '', 'base64url')),
    secretKey: curveKeyToZ85(Buffer.from(jwk.d ?? '', 'base64url')),
  };
}

/** The public key (Z85) that a secret key (Z85) derives. Throws Z85Error for a key that is not Z85 of 32 bytes. */
export function curvePublicKeyOf(secretKey: string): string {
  const raw = curveKeyFromZ85(secretKey);
  const key = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, raw]),
    format: 'der',
    type: 'pkcs8',
  });
  return curveKeyToZ85(
    Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x ?? '', 'base64url'),
  );
}

/** Reads a certificate file (`NAME.key` or `NAME.key_secret`). Rejects with a CertificateError naming the file. */
export async function readCertificate(path: string): Promise<Certificate> {
  return parseCertificate(await readSmallFile(path), path);
}

/** A certificate is a few hundred bytes; anything much larger is not one (and is not read into memory). */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

async function readSmallFile(path: string): Promise<string> {
  let handle: fs.FileHandle | undefined;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; regular files ignore the flag.
    handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = await handle.stat();
    // A FIFO or a device (/dev/zero) would block or never end: only regular files are read.
    if (!stats.isFile()) {
      throw new CertificateError(CertificateErrorCode.Unreadable, path, 'not a regular file');
    }
    if (stats.size > MAX_CERTIFICATE_BYTES) {
      throw new CertificateError(
        CertificateErrorCode.Malformed,
        path,
        `${String(stats.size)} bytes: larger than any certificate (at most ${String(MAX_CERTIFICATE_BYTES)})`,
      );
    }
    return await handle.readFile('utf8');
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    throw fileError(
      error,
      path,
      { errno: 'ENOENT', code: CertificateErrorCode.NotFound, reason: 'no such file' },
      { code: CertificateErrorCode.Unreadable, doing: 'cannot read' },
    );
  } finally {
    await handle?.close();
  }
}

/** Reads a certificate that must hold its secret key (a process's own `--curve-secret-key`). */
export async function readSecretCertificate(path: string): Promise<SecretCertificate> {
  const cert = await readCertificate(path);
  if (cert.secretKey === undefined) {
    throw new CertificateError(
      CertificateErrorCode.MissingKey,
      path,
      'no secret-key in the curve section: this is a public certificate; give the NAME.key_secret file',
    );
  }
  return { ...cert, secretKey: cert.secretKey };
}

/** Parses certificate text; `file` names it in errors. Exported for tests and for callers that hold the text. */
export function parseCertificate(text: string, file: string): Certificate {
  let tree: ZplNode[];
  try {
    tree = parseZpl(text);
  } catch (error) {
    if (error instanceof ZplSyntaxError) {
      throw new CertificateError(
        CertificateErrorCode.Malformed,
        file,
        `not ZPL: ${error.message}`,
        error,
      );
    }
    throw error;
  }
  // Anything under a section counts as in it, however it is indented (a hand-edited file may mix tabs and spaces);
  // and pyzmq reads a key wherever its line is, so do we when the curve section does not hold it.
  const curve = zplChild(tree, 'curve')?.children ?? [];
  const publicNode = zplFind(curve, 'public-key') ?? zplFind(tree, 'public-key');
  const secretNode = zplFind(curve, 'secret-key') ?? zplFind(tree, 'secret-key');
  if (publicNode?.value === undefined) {
    throw new CertificateError(
      CertificateErrorCode.MissingKey,
      file,
      'no public-key in the curve section',
    );
  }
  const publicKey = checkKey(publicNode, file);
  const metadata: Record<string, string> = {};
  for (const node of zplSettings(zplChild(tree, 'metadata')?.children ?? [])) {
    metadata[node.name] = node.value;
  }
  if (secretNode?.value === undefined) return { publicKey, metadata };
  const secretKey = checkKey(secretNode, file);
  if (curvePublicKeyOf(secretKey) !== publicKey) {
    throw new CertificateError(
      CertificateErrorCode.KeyMismatch,
      file,
      'the public-key is not the one the secret-key derives: the two halves come from different pairs',
    );
  }
  return { publicKey, secretKey, metadata };
}

function checkKey(node: ZplNode, file: string): string {
  const value = node.value ?? '';
  try {
    curveKeyFromZ85(value);
  } catch (error) {
    if (error instanceof Z85Error) {
      throw new CertificateError(
        CertificateErrorCode.BadKey,
        file,
        `${node.name} on line ${String(node.line)} is not a CURVE key: ${error.message}`,
        error,
      );
    }
    throw error;
  }
  return value;
}

/**
 * The public keys in a directory: every `*.key` file (not `.key_secret`, not hidden files), sorted by file name.
 * A missing directory or any malformed file rejects with a CertificateError naming it: an allow-list that silently
 * skips a file would lock out the peer it was meant to admit.
 */
export async function readPublicKeysDir(
  dir: string,
): Promise<{ publicKey: string; file: string }[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw fileError(
      error,
      dir,
      { errno: 'ENOENT', code: CertificateErrorCode.NotFound, reason: 'no such directory' },
      { code: CertificateErrorCode.Unreadable, doing: 'cannot list' },
    );
  }
  const files = entries
    .filter(
      (entry) => entry.name.endsWith('.key') && !entry.name.startsWith('.') && !entry.isDirectory(),
    )
    .map((entry) => join(dir, entry.name))
    .sort();
  const keys: { publicKey: string; file: string }[] = [];
  for (const file of files) {
    keys.push({ publicKey: (await readCertificate(file)).publicKey, file });
  }
  return keys;
}
