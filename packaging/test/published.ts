/**
 * The packages this repository publishes: every package under packages/ and apps/ that is not private. Read from the
 * working tree, so a package added there is checked without being listed anywhere.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The fields of package.json these checks read. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly type?: string;
  readonly keywords?: readonly string[];
  readonly homepage?: string;
  readonly repository?: {
    readonly type?: string;
    readonly url?: string;
    readonly directory?: string;
  };
  readonly engines?: { readonly node?: string };
  readonly files?: readonly string[];
  readonly bin?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

export interface PublishedPackage {
  /** The folder, relative to the repository root: `packages/node`. */
  readonly dir: string;
  readonly manifest: Manifest;
}

export function publishedPackages(): PublishedPackage[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(REPO_ROOT, group), { withFileTypes: true })
      .filter(
        (entry) =>
          entry.isDirectory() && existsSync(join(REPO_ROOT, group, entry.name, 'package.json')),
      )
      .map((entry) => {
        const dir = `${group}/${entry.name}`;
        const manifest = JSON.parse(
          readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8'),
        ) as Manifest;
        return { dir, manifest };
      })
      .filter(({ manifest }) => manifest.private !== true),
  );
}

/** The file `npm pack` / `pnpm pack` writes for a package: `@monomyth/node@1.2.3` packs as `monomyth-node-1.2.3.tgz`. */
export function tarballName({ name, version }: Manifest): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}
