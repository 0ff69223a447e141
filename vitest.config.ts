import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * One configuration for every package, app and example: each folder under packages/, apps/ and examples/ is a vitest
 * project named after its package, so `vitest run` runs them all and `vitest run --project @monomyth/mmop` runs one.
 */
const root = fileURLToPath(new URL('.', import.meta.url));

/** Projects whose tests need a real RabbitMQ; the launcher starts one broker for the whole run (or uses MONOMYTH_AMQP_URL). */
const NEEDS_BROKER = new Set([
  '@monomyth/testing',
  '@monomyth/rmq',
  '@monomyth/worker-cli',
  '@monomyth/cli',
]);

/** Resolve workspace packages to their TypeScript sources, so tests never run against a stale build. */
const conditions = ['@monomyth/source', 'module', 'node', 'development|production'];

/** Test projects at the root, beside the groups: checks of the repository as a whole (what the packages ship). */
const ROOT_PROJECTS = ['packaging'];

/**
 * Type tests (`*.test-d.ts` files under test/: `expectTypeOf` and `@ts-expect-error`, never run) go to vitest's
 * typecheck mode, which runs tsc over tsconfig.typecheck.json, in the projects that have any.
 */
function typecheck(dir: string): TestProjectInlineConfiguration['test'] {
  const tests = join(dir, 'test');
  const has =
    existsSync(tests) &&
    readdirSync(tests, { recursive: true }).some((file) => String(file).endsWith('.test-d.ts'));
  return has
    ? {
        typecheck: {
          enabled: true,
          include: ['test/**/*.test-d.ts'],
          tsconfig: join(root, 'tsconfig.typecheck.json'),
        },
      }
    : {};
}

function project(dir: string): TestProjectInlineConfiguration {
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
  return {
    extends: true,
    test: {
      name,
      root: dir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      globalSetup: NEEDS_BROKER.has(name) ? [join(root, 'vitest.broker-setup.ts')] : [],
      ...typecheck(dir),
    },
  };
}

function projects(): TestProjectInlineConfiguration[] {
  const grouped = ['packages', 'apps', 'examples'].flatMap((group) =>
    (existsSync(join(root, group)) ? readdirSync(join(root, group), { withFileTypes: true }) : [])
      .filter(
        (entry) => entry.isDirectory() && existsSync(join(root, group, entry.name, 'package.json')),
      )
      .map((entry) => join(root, group, entry.name)),
  );
  return [...grouped, ...ROOT_PROJECTS.map((dir) => join(root, dir))].map(project);
}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: projects(),
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // Tests that use a broker or real processes share two cores with the broker itself.
    maxWorkers: 2,
  },
});
