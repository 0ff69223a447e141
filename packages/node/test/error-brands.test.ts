/**
 * `instanceof` on the data plane's errors: a subclass answers for its parents, never for its siblings, and an error
 * from a second copy of the packages (another install of @monomyth/node and @monomyth/mmop, loaded beside this one)
 * answers as if it were ours. The second copy is real: both packages' sources are copied to fresh folders and loaded
 * as separate modules, so each has its own classes.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BodyCodecError,
  InputValidationError,
  MessageRefusedError,
  NodeHookError,
  NonRetryableError,
  RedeliveryLimitError,
  StreamFailureError,
  UnknownRouteError,
  createNode,
  defineSystem,
  isNonRetryable,
  jsonCodec,
  type Node,
} from '../src/index.js';
import { AdapterClosedError, MonomythError, MonomythHeader } from '../src/adapter.js';
import type { MemoryStreamAdapter } from '../src/memory/index.js';
import * as mmop from '@monomyth/mmop';
import type * as NodeApi from '../src/index.js';
import type * as AdapterApi from '../src/adapter.js';
import { openMemory, push, takeNonRetryable } from './helpers.js';

/** The second copy's entry points (`@monomyth/node` and `@monomyth/node/adapter`), as one object. */
type NodeModule = typeof NodeApi & typeof AdapterApi;

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));
const copies: string[] = [];

/**
 * Copies `packages/<name>/src` (tests left out) into `packages/<name>/.second-copy-*`: beside the original, so its
 * own dependencies resolve as they do for the original. `rewrite` maps each source text (to point bare imports of
 * sibling packages at their copies).
 */
function copyPackage(
  name: string,
  rewrite: (text: string, file: string) => string = (t) => t,
): string {
  const root = mkdtempSync(join(packagesDir, name, '.second-copy-'));
  copies.push(root);
  const src = join(root, 'src');
  cpSync(join(packagesDir, name, 'src'), src, {
    recursive: true,
    filter: (from) => !from.endsWith('.test.ts'),
  });
  for (const entry of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.ts')) continue;
    const file = join(src, entry);
    writeFileSync(file, rewrite(readFileSync(file, 'utf8'), file));
  }
  return join(src, 'index.ts');
}

/** Checks `value instanceof` each class of `is` and of none of `isNot`, naming the class when one check fails. */
function expectInstanceOf(
  value: unknown,
  is: readonly (abstract new (...args: never[]) => unknown)[],
  isNot: readonly (abstract new (...args: never[]) => unknown)[] = [],
): void {
  for (const clazz of is) expect(value instanceof clazz, `instanceof ${clazz.name}`).toBe(true);
  for (const clazz of isNot) expect(value instanceof clazz, `instanceof ${clazz.name}`).toBe(false);
}

let other: NodeModule;
let otherMmop: typeof mmop;

beforeAll(async () => {
  const mmopIndex = copyPackage('mmop');
  const nodeIndex = copyPackage('node', (text, file) => {
    let target = relative(join(file, '..'), mmopIndex).split(sep).join('/');
    if (!target.startsWith('.')) target = `./${target}`;
    return text.replaceAll("from '@monomyth/mmop'", `from '${target.replace(/\.ts$/, '.js')}'`);
  });
  other = {
    ...((await import(pathToFileURL(nodeIndex).href)) as typeof NodeApi),
    ...((await import(
      pathToFileURL(join(nodeIndex, '..', 'adapter.ts')).href
    )) as typeof AdapterApi),
  };
  otherMmop = (await import(pathToFileURL(mmopIndex).href)) as typeof mmop;
}, 60_000);

afterAll(() => {
  for (const root of copies) rmSync(root, { recursive: true, force: true });
});

describe('error brands - siblings and subclasses', () => {
  it('a NonRetryableError is not a BodyCodecError, an UnknownRouteError or any other subclass', () => {
    expectInstanceOf(
      new NonRetryableError('x'),
      [NonRetryableError],
      [
        BodyCodecError,
        UnknownRouteError,
        MessageRefusedError,
        RedeliveryLimitError,
        InputValidationError,
      ],
    );
  });

  it('a subclass is an instance of its parents and of MonomythError, not of its siblings', () => {
    const codec = new BodyCodecError('json', 'bad');
    expectInstanceOf(
      codec,
      [BodyCodecError, NonRetryableError, MonomythError, Error],
      [UnknownRouteError],
    );
    expectInstanceOf(new UnknownRouteError('x', []), [], [BodyCodecError]);
    expect(isNonRetryable(codec)).toBe(true);
    expect(codec.name).toBe('BodyCodecError');
    expect(codec.code).toBe('BODY_CODEC');
  });

  it('unrelated errors do not answer for each other', () => {
    const stream = new StreamFailureError('pull', 'A', new Error('down'));
    expectInstanceOf(stream, [StreamFailureError], [NodeHookError, NonRetryableError]);
    expect(isNonRetryable(stream)).toBe(false);
    expect(new AdapterClosedError('publish', 'closed') instanceof StreamFailureError).toBe(false);
  });
});

describe('error brands - two copies of the packages', () => {
  it('the second copy has classes of its own', () => {
    expect(other.BodyCodecError).not.toBe(BodyCodecError);
    expect(other.MonomythError).not.toBe(MonomythError);
  });

  it('an error from the other copy is an instance of ours, with the same parents and siblings', () => {
    const codec = new other.BodyCodecError('json', 'bad');
    expectInstanceOf(
      codec,
      [BodyCodecError, NonRetryableError, MonomythError],
      [UnknownRouteError],
    );
    expect(isNonRetryable(codec)).toBe(true);
    expect(new other.NonRetryableError('x') instanceof BodyCodecError).toBe(false);
    expect(new other.StreamFailureError('pull', 'A', 'x') instanceof StreamFailureError).toBe(true);
    expect(new other.AdapterClosedError('publish', 'closed') instanceof AdapterClosedError).toBe(
      true,
    );
  });

  it("mmop's own errors answer across copies, and not for their siblings", () => {
    expect(otherMmop.MmopDecodeError).not.toBe(mmop.MmopDecodeError);
    const decode = new otherMmop.MmopDecodeError('NOT_MMOP', 'x');
    expectInstanceOf(decode, [mmop.MmopDecodeError, mmop.MonomythError], [mmop.MmopEncodeError]);
    expect(new otherMmop.Z85Error('bad') instanceof mmop.Z85Error).toBe(true);
    expect(new otherMmop.Z85Error('bad') instanceof mmop.CertificateError).toBe(false);
    expect(new mmop.SendQueueFullError('full') instanceof otherMmop.SendQueueFullError).toBe(true);
    expect(new mmop.SendQueueFullError('full') instanceof otherMmop.SenderClosedError).toBe(false);
  });

  it('an error from this copy is an instance of the other copy', () => {
    expect(new BodyCodecError('json', 'bad') instanceof other.BodyCodecError).toBe(true);
    expect(new BodyCodecError('json', 'bad') instanceof other.NonRetryableError).toBe(true);
    expect(new NonRetryableError('x') instanceof other.BodyCodecError).toBe(false);
    expect(new InputValidationError([]) instanceof other.InputValidationError).toBe(true);
    expect(other.isNonRetryable(new RedeliveryLimitError(3, 2))).toBe(true);
  });
});

describe('error brands - codec failures', () => {
  let adapter: MemoryStreamAdapter | undefined;
  const running: Node[] = [];

  afterEach(async () => {
    await Promise.all(running.splice(0).map((node) => node.stop()));
    await adapter?.close();
    adapter = undefined;
  });

  it('a codec that throws a NonRetryableError fails the message as a BodyCodecError, with the error as its cause', async () => {
    adapter = await openMemory();
    const picky = {
      name: 'picky',
      encode: (value: unknown) => jsonCodec.encode(value),
      decode: (body: Uint8Array): unknown => {
        const value = jsonCodec.decode(body);
        if (value === 'bad') throw new NonRetryableError('picky refuses "bad"');
        return value;
      },
    };
    const system = defineSystem({
      name: 't',
      nodes: [{ name: 'P', codec: picky, transform: (v: unknown) => v }],
    });
    const node = createNode(system, 'P', { adapter });
    running.push(node);
    await node.start();
    await push(adapter, 'START-to-P', ['bad']);
    const failed = await takeNonRetryable(adapter, 'P-fail', 'pull', 'BodyCodecError');
    expect(String(failed.headers[MonomythHeader.ErrorMessage])).toContain(
      'the picky codec could not decode: picky refuses "bad"',
    );
  });
});
