/**
 * Writing a CURVE certificate pair: `DIR/NAME.key` (public, mode 0644) and `DIR/NAME.key_secret` (secret, mode 0600),
 * in the layout czmq writes (four-space indentation, double-quoted values), which czmq and pyzmq read.
 *
 * The secret file exists with mode 0600 from its first byte, whatever the umask: a new file is created exclusively
 * with that mode (O_EXCL also refuses to follow a symlink planted at the path), and a replaced one is a fresh
 * temporary file with that mode renamed over the old. Replacing writes both temporary files before renaming either,
 * so a failed write leaves the old pair whole.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import {
  CertificateError,
  CertificateErrorCode,
  fileError,
  generateCurveKeyPair,
} from './certificates.js';
import { quoteZplValue, ZPL_NAME } from './zpl.js';

/** The files a pair was written to. */
export interface WrittenCertificatePair {
  readonly publicFile: string;
  readonly secretFile: string;
  readonly publicKey: string;
}

export interface WriteCertificateOptions {
  /** Replace existing files (each replaced atomically). @default false: an existing file is a CertificateError EXISTS. */
  readonly overwrite?: boolean;
}

/**
 * Makes a key pair and writes `DIR/NAME.key` (mode 0644) and `DIR/NAME.key_secret` (mode 0600), creating DIR (mode
 * 0700) when it does not exist. Refuses to replace existing files unless `overwrite` is set.
 */
export async function writeCertificatePair(
  dir: string,
  name: string,
  metadata: Record<string, string> = {},
  options: WriteCertificateOptions = {},
): Promise<WrittenCertificatePair> {
  const publicFile = join(dir, `${name}.key`);
  const secretFile = join(dir, `${name}.key_secret`);
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) || basename(name) !== name) {
    throw new CertificateError(
      CertificateErrorCode.BadName,
      dir,
      `not a certificate name: ${JSON.stringify(name)} (letters, digits, ".", "_" and "-", not starting with "." or "-")`,
    );
  }
  const metadataText = formatMetadata(metadata, publicFile);
  const pair = generateCurveKeyPair();
  const now = new Date().toISOString();
  const publicText =
    `${PUBLIC_BANNER(now)}metadata\n${metadataText}curve\n` +
    `    public-key = "${pair.publicKey}"\n`;
  const secretText =
    `${SECRET_BANNER(now)}metadata\n${metadataText}curve\n` +
    `    public-key = "${pair.publicKey}"\n    secret-key = "${pair.secretKey}"\n`;

  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CertificateError(
      CertificateErrorCode.WriteFailed,
      dir,
      'cannot create the directory',
      error,
    );
  }
  if (options.overwrite === true) {
    await replacePair([
      { file: secretFile, text: secretText, mode: 0o600 },
      { file: publicFile, text: publicText, mode: 0o644 },
    ]);
  } else {
    for (const file of [publicFile, secretFile]) {
      if (await exists(file)) {
        throw new CertificateError(
          CertificateErrorCode.Exists,
          file,
          'already exists; not overwritten',
        );
      }
    }
    await createFile(secretFile, secretText, 0o600);
    try {
      await createFile(publicFile, publicText, 0o644);
    } catch (error) {
      // Leave no half pair behind.
      await fs.rm(secretFile, { force: true });
      throw error;
    }
  }
  return { publicFile, secretFile, publicKey: pair.publicKey };
}

function formatMetadata(metadata: Record<string, string>, file: string): string {
  let text = '';
  for (const [key, value] of Object.entries(metadata)) {
    // pyzmq finds keys by line prefix, so a metadata name that starts like a key line would be read as one.
    if (!ZPL_NAME.test(key) || key.startsWith('public-key') || key.startsWith('secret-key')) {
      throw new CertificateError(
        CertificateErrorCode.BadMetadata,
        file,
        `bad metadata name: ${JSON.stringify(key)}`,
      );
    }
    const quoted = quoteZplValue(value);
    if (quoted === undefined) {
      throw new CertificateError(
        CertificateErrorCode.BadMetadata,
        file,
        `metadata ${key}: a value holds no line breaks or control characters, and not both quote characters`,
      );
    }
    text += `    ${key} = ${quoted}\n`;
  }
  return text;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Exclusive create: fails if the file appeared since the check, and the mode applies from the first byte. */
async function createFile(file: string, text: string, mode: number): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    // The umask may have narrowed the mode further; a wider mode is impossible, but say exactly what we mean.
    await handle.chmod(mode);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    throw fileError(
      error,
      file,
      {
        errno: 'EEXIST',
        code: CertificateErrorCode.Exists,
        reason: 'already exists; not overwritten',
      },
      { code: CertificateErrorCode.WriteFailed, doing: 'cannot write' },
    );
  } finally {
    await handle?.close();
  }
}

interface FileToWrite {
  readonly file: string;
  readonly text: string;
  readonly mode: number;
}

/** Writes each file as a fresh temporary file beside it with its final mode, then renames them over, in order. */
async function replacePair(files: readonly FileToWrite[]): Promise<void> {
  const written: { temporary: string; file: string }[] = [];
  try {
    for (const { file, text, mode } of files) {
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      await createFile(temporary, text, mode);
      written.push({ temporary, file });
    }
    for (const { temporary, file } of written) {
      try {
        await fs.rename(temporary, file);
      } catch (error) {
        throw new CertificateError(
          CertificateErrorCode.WriteFailed,
          file,
          'cannot replace the file',
          error,
        );
      }
    }
  } finally {
    // Whatever was not renamed (a failure part way) is removed; a renamed file is no longer at its temporary name.
    await Promise.all(written.map(({ temporary }) => fs.rm(temporary, { force: true })));
  }
}

const PUBLIC_BANNER = (now: string): string =>
  `#   ****  Generated on ${now} by Monomyth  ****\n` +
  '#   ZeroMQ CURVE Public Certificate\n' +
  '#   Exchange securely, or use a secure mechanism to verify the contents\n' +
  '#   of this file after exchange. Give it to the master in its --workers-keys\n' +
  '#   or --controllers-keys directory, or to peers as --master-key.\n\n';

const SECRET_BANNER = (now: string): string =>
  `#   ****  Generated on ${now} by Monomyth  ****\n` +
  '#   ZeroMQ CURVE **Secret** Certificate\n' +
  '#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n';
