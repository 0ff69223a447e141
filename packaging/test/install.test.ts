/**
 * Installing Monomyth as a user would: every published package packed into a temporary folder, then a fresh npm
 * project outside the workspace (in the OS temp dir) that installs only those tarballs (third-party dependencies come
 * from the npm registry or npm's cache; no workspace links). Against what got installed: a small system type-checks with
 * `tsc --strict` (module nodenext), and so does each package README's TypeScript example; a chain whose types do not
 * fit fails; the harness runs the system in one process with no test runner installed; and the installed commands run
 * a cluster: `monomyth-master`, one `monomyth-worker` (in-memory queues) and `monomyth ping`.
 *
 * It packs the built packages: run `pnpm build` first (`./scripts/test.sh` does).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort } from '@monomyth/testing';
import { REPO_ROOT, publishedPackages, tarballName } from './published.js';

const FIXTURE = fileURLToPath(new URL('../fixture/', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const packages = publishedPackages();

/**
 * The environment for npm and the installed commands: without what pnpm and vitest set for themselves (npm_config_*
 * from pnpm's own configuration would reach npm), so the temp project sees a user's environment.
 */
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) =>
      !/^(npm_|pnpm_|NODE_OPTIONS$|VITEST)/i.test(key) ||
      /^npm_config_(registry|cache)$/i.test(key),
  ),
);

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  file: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 120_000,
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function describeRun(what: string, result: Run): string {
  return `${what} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

let work: string;
let app: string;
let tarballs: string[];
let compiled: Run;
const timings: Record<string, number> = {};

async function timed<T>(step: string, action: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await action();
  } finally {
    timings[step] = Math.round(performance.now() - started);
  }
}

/**
 * The TypeScript blocks of each installed package's README and of the repository's README, as modules of the temp
 * project (the conformance suite's is left out: it registers vitest tests, and vitest is an optional peer).
 */
async function readmeExamples(): Promise<void> {
  await mkdir(join(app, 'src', 'readme'), { recursive: true });
  const readmes = [
    ...packages.map(({ manifest }) => ({
      prefix: manifest.name.replace(/^@monomyth\//, ''),
      path: join(app, 'node_modules', manifest.name, 'README.md'),
    })),
    { prefix: 'repository', path: join(REPO_ROOT, 'README.md') },
  ];
  for (const { prefix, path } of readmes) {
    const readme = await readFile(path, 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
    for (const [index, block] of blocks.entries()) {
      if (block.includes('/conformance')) continue;
      await writeFile(join(app, 'src', 'readme', `${prefix}-${index}.ts`), block);
    }
  }
}

beforeAll(async () => {
  for (const { dir } of packages) {
    if (!existsSync(join(REPO_ROOT, dir, 'dist')))
      throw new Error(`${dir}/dist is missing: run \`pnpm build\` before this test`);
  }
  work = await mkdtemp(join(tmpdir(), 'monomyth-install-'));
  const destination = join(work, 'tarballs');
  app = join(work, 'app');
  const packed = await timed('pack', () =>
    run(
      'pnpm',
      [
        '--recursive',
        ...packages.flatMap(({ manifest }) => ['--filter', manifest.name]),
        'pack',
        '--pack-destination',
        destination,
      ],
      REPO_ROOT,
    ),
  );
  if (packed.code !== 0) throw new Error(describeRun('pnpm pack', packed));
  tarballs = (await readdir(destination)).sort();

  // Every package by its tarball; overrides make the packages' dependencies on each other resolve to the same
  // tarballs, never to the registry.
  const dependencies = Object.fromEntries(
    packages.map(({ manifest }) => [
      manifest.name,
      `file:${join(destination, tarballName(manifest))}`,
    ]),
  );
  const overrides = Object.fromEntries(
    packages.map(({ manifest }) => [manifest.name, `$${manifest.name}`]),
  );
  await mkdir(app);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'monomyth-install-check',
        private: true,
        type: 'module',
        dependencies,
        devDependencies: { '@types/node': '^20.19.0' },
        overrides,
      },
      null,
      2,
    ),
  );
  const installed = await timed('npm install', () =>
    run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      app,
      180_000,
    ),
  );
  if (installed.code !== 0) throw new Error(describeRun('npm install', installed));

  await cp(FIXTURE, app, { recursive: true });
  await readmeExamples();
  compiled = await timed('tsc', () => run(process.execPath, [TSC, '-p', 'tsconfig.json'], app));
}, 300_000);

afterAll(async () => {
  console.log(`[install test] ${JSON.stringify(timings)}`);
  if (work !== undefined && process.env.MONOMYTH_KEEP_INSTALL_DIR === undefined)
    await rm(work, { recursive: true, force: true });
});

const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
});

/** Starts an installed command; its output is kept for the failure message. */
function start(
  bin: string,
  args: readonly string[],
): { child: ChildProcess; output: () => string } {
  const child = spawn(join(app, 'node_modules', '.bin', bin), args, { cwd: app, env });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('installing the packed packages into a fresh npm project', () => {
  it('install - one tarball per published package, each with its LICENSE, README and no workspace ranges', async () => {
    expect(tarballs).toEqual(packages.map(({ manifest }) => tarballName(manifest)).sort());
    for (const { manifest } of packages) {
      const installed = join(app, 'node_modules', manifest.name);
      expect(existsSync(join(installed, 'LICENSE')), `${manifest.name} LICENSE`).toBe(true);
      expect(existsSync(join(installed, 'README.md')), `${manifest.name} README.md`).toBe(true);
      const shipped = await readFile(join(installed, 'package.json'), 'utf8');
      expect(shipped, manifest.name).not.toContain('workspace:');
      // npm placed no second copy of a sibling (from the registry) under the package
      expect(existsSync(join(installed, 'node_modules', '@monomyth')), manifest.name).toBe(false);
    }
  });

  it('install - the system and every README example type-check with tsc --strict against the installed packages', () => {
    expect(compiled.code, describeRun('tsc', compiled)).toBe(0);
  });

  it('install - a chain whose types do not fit fails tsc, annotated or not, at the node that takes the wrong input', async () => {
    const result = await timed('tsc (chain errors)', () =>
      run(process.execPath, [TSC, '-p', 'tsconfig.chain-error.json'], app),
    );
    expect(result.code, describeRun('tsc', result)).toBe(2);
    // annotated: DOUBLE takes numbers, PARSE emits strings
    expect(result.stdout).toMatch(/^chain-error\/system\.ts\(10,\d+\): error TS2322:/m);
    expect(result.stdout).toContain("Type 'string' is not assignable to type 'number'");
    // unannotated: the parameter is typed from PARSE (a string), not any, so multiplying it is an error
    expect(result.stdout).toMatch(/^chain-error\/unannotated\.ts\(11,\d+\): error TS2362:/m);
    // nothing else in the two files is wrong
    expect(result.stdout.match(/error TS/g)).toHaveLength(2);
  });

  it('install - the harness runs the system in one process, with no test runner installed', async () => {
    expect(existsSync(join(app, 'node_modules', 'vitest'))).toBe(false);
    const result = await timed('harness', () =>
      run(process.execPath, ['dist/run-harness.js'], app, 60_000),
    );
    expect(result.code, describeRun('run-harness', result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['n=10', 'n=12', 'n=2', 'n=4', 'n=6', 'n=8']);
  });

  it('install - monomyth-master, monomyth-worker and monomyth ping run from node_modules/.bin', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const started = performance.now();
    const master = start('monomyth-master', ['--bind', endpoint, '--heartbeat-ms', '200']);
    const worker = start('monomyth-worker', [
      '--master',
      endpoint,
      '--system',
      'dist/system.js',
      '--memory',
      '--name',
      'install-check',
    ]);

    const ping = await run(
      join(app, 'node_modules', '.bin', 'monomyth'),
      ['--master', endpoint, 'ping'],
      app,
      30_000,
    );
    expect(ping.code, describeRun('monomyth ping', ping) + master.output()).toBe(0);
    expect(ping.stdout).toMatch(new RegExp(`^master ${endpoint} answered in `));

    const workers = await eventually(
      async () => {
        const listed = await run(
          join(app, 'node_modules', '.bin', 'monomyth'),
          ['--master', endpoint, 'workers', '--json'],
          app,
          30_000,
        );
        return JSON.parse(listed.stdout) as { workerId: string; types: string[] }[];
      },
      (listed) => listed.length > 0,
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch((error: unknown) => {
      throw new Error(`no worker registered: ${String(error)}\n${worker.output()}`);
    });
    expect(workers.map(({ workerId, types }) => ({ workerId, types }))).toEqual([
      { workerId: 'install-check', types: ['DOUBLE', 'LABEL', 'PARSE'] },
    ]);

    const startNode = await run(
      join(app, 'node_modules', '.bin', 'monomyth'),
      ['--master', endpoint, 'start', 'DOUBLE', '--json'],
      app,
      30_000,
    );
    expect(startNode.code, describeRun('monomyth start', startNode) + worker.output()).toBe(0);
    expect(JSON.parse(startNode.stdout)).toMatchObject({
      type: 'DOUBLE',
      started: [{ workerId: 'install-check' }],
      failures: [],
    });

    worker.child.kill('SIGTERM');
    expect(await exitOf(worker.child), worker.output()).toBe(0);
    master.child.kill('SIGTERM');
    expect(await exitOf(master.child), master.output()).toBe(0);
    timings['bins'] = Math.round(performance.now() - started);
  });
});
