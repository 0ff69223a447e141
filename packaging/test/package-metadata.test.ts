/**
 * What each published package ships and declares, checked in the working tree: a registry page needs a README, users
 * need the licence, and installs need ranges that resolve once the packages are published.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, publishedPackages, tarballName } from './published.js';

const packages = publishedPackages();
const rootLicense = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
const REPOSITORY_URL = 'git+https://github.com/monomyth/monomyth.git';

describe('published packages', () => {
  it('metadata - the libraries and the three commands are published, with their bin names', () => {
    const names = packages.map(({ manifest }) => manifest.name);
    expect(names).toEqual(
      expect.arrayContaining([
        '@monomyth/mmop',
        '@monomyth/node',
        '@monomyth/rmq',
        '@monomyth/master',
        '@monomyth/worker',
        '@monomyth/control',
        '@monomyth/testing',
        '@monomyth/cli-kit',
        '@monomyth/master-cli',
        '@monomyth/worker-cli',
        '@monomyth/cli',
      ]),
    );
    const bins = Object.fromEntries(
      packages.map(({ manifest }) => [manifest.name, Object.keys(manifest.bin ?? {})]),
    );
    expect(bins['@monomyth/master-cli']).toEqual(['monomyth-master']);
    expect(bins['@monomyth/worker-cli']).toEqual(['monomyth-worker']);
    expect(bins['@monomyth/cli']).toEqual(['monomyth']);
  });

  it('metadata - the published packages are one fixed changesets group, and private ones get no versions', () => {
    const config = JSON.parse(
      readFileSync(join(REPO_ROOT, '.changeset', 'config.json'), 'utf8'),
    ) as {
      fixed: string[][];
      privatePackages: { version: boolean };
    };
    expect(config.fixed).toHaveLength(1);
    expect([...config.fixed[0]!].sort()).toEqual(
      packages.map(({ manifest }) => manifest.name).sort(),
    );
    expect(config.privatePackages.version).toBe(false);
  });

  it('metadata - every pending changeset names published packages only', () => {
    const names = new Set(packages.map(({ manifest }) => manifest.name));
    const dir = join(REPO_ROOT, '.changeset');
    for (const file of readdirSync(dir).filter(
      (name) => name.endsWith('.md') && name !== 'README.md',
    )) {
      const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? '';
      for (const line of front.split('\n').filter(Boolean)) {
        const named = /^['"]?([^'":]+)['"]?:\s*(patch|minor|major)$/.exec(line);
        expect(named, `${file}: ${line}`).not.toBeNull();
        expect(names.has(named![1]!), `${file} names ${named![1]}`).toBe(true);
      }
    }
  });

  it('metadata - no two packages pack into the same tarball', () => {
    const tarballs = packages.map(({ manifest }) => tarballName(manifest));
    expect(new Set(tarballs).size).toBe(tarballs.length);
  });

  describe.each(packages.map((pkg) => [pkg.manifest.name, pkg] as const))('%s', (name, pkg) => {
    const dir = join(REPO_ROOT, pkg.dir);
    const { manifest } = pkg;

    it('metadata - ships the MIT LICENSE and a README, listed in files', () => {
      expect(manifest.license).toBe('MIT');
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(rootLicense);
      expect(existsSync(join(dir, 'README.md'))).toBe(true);
      expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'LICENSE', 'README.md']));
    });

    it('metadata - its README names it, says how to install it and shows it in use', () => {
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      expect(readme.startsWith(`# ${name}\n`)).toBe(true);
      expect(readme).toMatch(/^## Install$/m);
      expect(readme).toMatch(new RegExp(`npm install (--\\S+ )*${name}(\\s|$)`));
      expect(readme).toMatch(/```(ts|sh)\n/);
      expect(readme).toContain('ESM only');
      expect(readme).toContain('https://github.com/monomyth/monomyth/blob/main/docs/');
    });

    it('metadata - declares engines, repository, homepage and keywords; ESM', () => {
      expect(manifest.type).toBe('module');
      expect(manifest.engines).toEqual({ node: '>=20.19' });
      expect(manifest.repository).toEqual({ type: 'git', url: REPOSITORY_URL, directory: pkg.dir });
      expect(manifest.homepage).toBe(
        `https://github.com/monomyth/monomyth/tree/main/${pkg.dir}#readme`,
      );
      expect(manifest.keywords).toContain('monomyth');
    });

    it('metadata - dependency ranges resolve once published: siblings workspace:^, others accept patches', () => {
      const ranges = { ...manifest.dependencies, ...manifest.peerDependencies };
      for (const [dependency, range] of Object.entries(ranges)) {
        if (dependency.startsWith('@monomyth/'))
          expect([dependency, range]).toEqual([dependency, 'workspace:^']);
        else expect([dependency, range]).toEqual([dependency, expect.stringMatching(/^[\^~]\d/)]);
      }
    });
  });
});
