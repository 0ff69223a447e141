/**
 * The three commands' usage contract, on the built commands as a user runs them: a bad endpoint is one line and exit
 * 2; flags that contradict each other, and a mistyped flag, are named as such; `--version` everywhere; a system module
 * that does not load says what to do (TypeScript) or, at debug, shows its stack; a fatal start-up error is one
 * readable line on stderr while the JSON log stays on stdout.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@monomyth/testing';
import { FOUR_STAGE_SYSTEM, run } from './processes.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monomyth-usage-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** stderr's lines, without the trailing newline. */
function lines(stderr: string): string[] {
  return stderr.trimEnd().split('\n');
}

/** The JSON log lines on stdout. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function version(app: 'master' | 'worker' | 'control'): string {
  const manifest = readFileSync(new URL(`../../${app}/package.json`, import.meta.url), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

describe('usage', () => {
  it.each([
    ['worker', ['--master', 'localhost:5555', '--system', FOUR_STAGE_SYSTEM, '--memory']],
    ['control', ['--master', 'http://host:5555', 'ping']],
    ['master', ['--bind', 'localhost:5555']],
  ] as const)('bad endpoint - %s %j exits 2 with one line naming the flag', async (app, args) => {
    const result = await run(app, args);
    expect(result.code, result.stderr).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^error: option '--(master|bind) <endpoint>' argument '\S+' is invalid\. expected a ZeroMQ endpoint/,
    );
    expect(result.stderr).not.toMatch(/EINVAL|EPROTONOSUPPORT|Invalid argument|\n\s+at /);
  });

  it('conflicting flags - --memory with --amqp exits 2 naming both', async () => {
    const result = await run('worker', [
      '--system',
      FOUR_STAGE_SYSTEM,
      '--memory',
      '--amqp',
      'amqp://guest:guest@127.0.0.1:5672',
    ]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      "error: option '--amqp <urls>' cannot be used with option '--memory'",
    ]);
  });

  it('unknown flag - a mistyped --sytem is named as unknown, not as the missing --system', async () => {
    const result = await run('worker', ['--sytem', FOUR_STAGE_SYSTEM, '--memory']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: unknown option '--sytem'/);
    expect(result.stderr).not.toContain('required option');
    // Without the typo, a missing --system is still reported as missing.
    const missing = await run('worker', ['--memory']);
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toEqual([
      "monomyth-worker: required option '--system <path>' not specified",
    ]);
  });

  it.each(['master', 'worker', 'control'] as const)(
    '--version - %s prints its package version and exits 0',
    async (app) => {
      const result = await run(app, ['--version']);
      expect(result).toMatchObject({ code: 0, stdout: `${version(app)}\n`, stderr: '' });
    },
  );

  it('system module - a .ts file without tsx says what to do (exit 2, one line)', async (context) => {
    // Node versions that strip types themselves load it: nothing to say there.
    if ((process.features as { typescript?: unknown }).typescript) context.skip();
    const system = join(dir, 'system.ts');
    await writeFile(system, 'export default {} as unknown;\n');
    const result = await run('worker', ['--system', system, '--memory']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain(`could not load the system module ${system}`);
    expect(result.stderr).toContain('install tsx');
    expect(result.stderr).toContain('NODE_OPTIONS="--import tsx"');
    expect(result.stderr).toContain('compile the system to .js');
  });

  it('system module - one that throws on import: one line on stderr, and its stack in the log at debug', async () => {
    const system = join(dir, 'throws.mjs');
    await writeFile(
      system,
      'function explodeOnImport() {\n  throw new Error("boom in the system");\n}\nexplodeOnImport();\n',
    );
    const result = await run('worker', ['--system', system, '--memory', '--log-level', 'debug']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      `monomyth-worker: could not load the system module ${system}: boom in the system`,
    ]);
    const logged = jsonLines(result.stdout).find(
      (line) => line.msg === 'the system module did not load',
    );
    expect(logged?.level).toBe(20);
    const cause = (logged?.err as { cause?: { stack?: string } } | undefined)?.cause;
    expect(cause?.stack).toContain('explodeOnImport');
    expect(cause?.stack).toContain(system);
    // Not at the default level: the one line is enough there.
    const quiet = await run('worker', ['--system', system, '--memory']);
    expect(quiet.stdout).not.toContain('explodeOnImport');
  });

  it('fatal start-up error - master: one readable line on stderr, the JSON log on stdout, exit 1', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const result = await run('master', ['--bind', `tcp://127.0.0.1:${port}`]);
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual([
        `monomyth-master: could not start the master: could not bind tcp://127.0.0.1:${port}: Address already in use`,
      ]);
      const fatal = jsonLines(result.stdout).find((line) => line.level === 60);
      expect(fatal).toMatchObject({ msg: 'could not start the master' });
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('fatal start-up error - worker: a broker that is not there is one line on stderr, with its cause once', async () => {
    const url = `amqp://guest:s3cret@127.0.0.1:${await freePort()}`;
    const result = await run('worker', [
      '--master',
      `tcp://127.0.0.1:${await freePort()}`,
      '--system',
      FOUR_STAGE_SYSTEM,
      '--amqp',
      url,
    ]);
    expect(result.code).toBe(1);
    const stderr = lines(result.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(
      /^monomyth-worker: could not open the stream adapter: RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+: cannot connect \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/,
    );
    // The log says it too, with the cause's text once (pino's default serializer appended it again).
    const fatal = jsonLines(result.stdout).find((line) => line.level === 60);
    const message = (fatal?.err as { message?: string } | undefined)?.message ?? '';
    expect(message.match(/ECONNREFUSED/g)).toHaveLength(1);
    expect(result.stdout + result.stderr).not.toContain('s3cret');
  });
});
