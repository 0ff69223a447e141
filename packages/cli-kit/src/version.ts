/** `--version` for the commands: the version in the command's own package.json, read once at start. */
import { readFileSync } from 'node:fs';

/**
 * The version of the package a command's entry point belongs to. `entryUrl` is the entry point's `import.meta.url`
 * (`<package>/dist/main.js`), so `../package.json` is the package's own manifest, in the repository and when installed.
 */
export function packageVersion(entryUrl: string): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', entryUrl), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string')
    throw new Error(`no version in ${entryUrl}'s package.json`);
  return manifest.version;
}
