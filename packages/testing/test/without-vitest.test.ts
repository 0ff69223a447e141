/**
 * The package's root must import, and run a system, where vitest is not installed: startSystem and the RabbitMQ launcher
 * serve any test runner, or none. A child `node` imports the built entries (dist/, as the package ships them, with
 * @monomyth/node's dist too) through a resolve hook that refuses vitest: the bare specifier, its subpaths, and any file
 * under a vitest or @vitest package, so a transitive import is caught as well. The conformance entry, which registers
 * vitest tests, must fail the same way: that shows the hook bites, and that the subpath is what needs vitest.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const entry = (path: string): string => new URL(`../dist/${path}`, import.meta.url).href;

/** Resolves as Node does, but refuses vitest, as a project without it installed would. */
const hooks = `
const refused = /(^|\\/node_modules\\/)(vitest|@vitest\\/[^/]+)(\\/|$)/;
export async function resolve(specifier, context, next) {
  const resolved = refused.test(specifier) ? undefined : await next(specifier, context);
  if (resolved === undefined || refused.test(new URL(resolved.url).pathname)) {
    const error = new Error(\`Cannot find package 'vitest' (imported as \${specifier}): not installed\`);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return resolved;
}`;
const register = `import { register } from 'node:module'; register(${JSON.stringify(
  `data:text/javascript,${encodeURIComponent(hooks)}`,
)});`;

/** Runs an ES module script in a child node without vitest; resolves bare names from this package's folder. */
async function withoutVitest(
  script: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        '--input-type=module',
        '--eval',
        script,
      ],
      // NODE_OPTIONS is the parent's (vitest may set conditions there): the child resolves as an installed package does.
      { cwd: packageDir, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error),
    };
  }
}

describe('@monomyth/testing without vitest', () => {
  beforeAll(async () => {
    // The child imports dist/: build it (and what it references) as `pnpm build` does; a no-op when up to date.
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-b', packageDir], { timeout: 120_000 }).catch(
      (error: unknown) => {
        // tsc reports on stdout: put its errors in the failure.
        const { stdout = '' } = error as { stdout?: string };
        throw new Error(`tsc -b ${packageDir} failed:\n${stdout}`, { cause: error });
      },
    );
  }, 150_000);

  it('without vitest - the root entry imports and runs a system through the harness', async () => {
    const result = await withoutVitest(`
      const testing = await import(${JSON.stringify(entry('index.js'))});
      const { defineSystem } = await import('@monomyth/node');
      const system = defineSystem({
        name: 'plain',
        nodes: [{ name: 'DOUBLE', transform: (n) => n * 2 }],
      });
      const harness = await testing.startSystem(system);
      try {
        await harness.push([1, 2, 3]);
        const outputs = await harness.collect(3);
        const ready = await testing.eventually(() => outputs.length, (n) => n === 3);
        console.log(JSON.stringify({
          outputs,
          ready,
          exports: ['RabbitMqServer', 'RabbitMqCluster', 'freePort', 'acquireTestBroker']
            .filter((name) => typeof testing[name] === 'function'),
          conformance: 'runStreamAdapterConformance' in testing,
        }));
      } finally {
        await harness.stop();
      }
    `);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      outputs: [2, 4, 6],
      ready: 3,
      exports: ['RabbitMqServer', 'RabbitMqCluster', 'freePort', 'acquireTestBroker'],
      conformance: false,
    });
  });

  it('without vitest - the conformance entry is what needs it', async () => {
    const result = await withoutVitest(
      `await import(${JSON.stringify(entry('conformance/index.js'))});`,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "Cannot find package 'vitest' (imported as vitest): not installed",
    );
  });
});
