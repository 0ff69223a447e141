/**
 * The master is control plane only: importing @monomyth/master must not load @monomyth/node (the data plane: node
 * runtime, codecs, adapters), whatever re-adds an import of it, directly or through another package. A real Node
 * process imports the package, from its sources as tests do, and reports every module the import loaded; the same
 * check on @monomyth/worker, which does load the data plane, shows that it would be seen.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/loaded-modules.mjs', import.meta.url));
const packageUrl = (name: string): string => pathToFileURL(`${ROOT}packages/${name}/`).href;

/** The URLs of the modules that importing `specifier` (resolved from the fixture, in this package) loads. */
async function modulesLoadedBy(specifier: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@monomyth/source', '--import', 'tsx', FIXTURE, specifier],
    { cwd: ROOT },
  );
  return JSON.parse(stdout) as string[];
}

const fromPackage = (loaded: string[], name: string): string[] =>
  loaded.filter((url) => url.startsWith(packageUrl(name)));

describe('master - no data plane', () => {
  it('module graph - importing @monomyth/master loads the master and mmop, and no module of @monomyth/node', async () => {
    const loaded = await modulesLoadedBy('@monomyth/master');
    expect(fromPackage(loaded, 'master')).toContain(`${packageUrl('master')}src/index.ts`);
    expect(fromPackage(loaded, 'mmop').length).toBeGreaterThan(0);
    expect(fromPackage(loaded, 'node')).toEqual([]);
  }, 60_000);

  it('module graph - the check sees the data plane where it is loaded: @monomyth/worker loads @monomyth/node', async () => {
    const loaded = await modulesLoadedBy(`${packageUrl('worker')}src/index.ts`);
    expect(fromPackage(loaded, 'node')).toContain(`${packageUrl('node')}src/index.ts`);
  }, 60_000);

  it('dependencies - @monomyth/master does not depend on @monomyth/node', () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    expect(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })).not.toContain(
      '@monomyth/node',
    );
  });
});
