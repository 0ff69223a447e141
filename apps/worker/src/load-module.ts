/**
 * Importing a user's module by path (the system, a custom adapter). Node 20 does not run TypeScript: a `.ts` module
 * that fails with ERR_UNKNOWN_FILE_EXTENSION is imported again through tsx when tsx can be found from the module's
 * directory (installed in the project that holds it), so `--system system.ts` works wherever `npx tsx` would.
 * Without tsx, the error says what to do. A process already started with a TypeScript loader (NODE_OPTIONS="--import
 * tsx") imports the module the first time and never gets here.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeError } from '@monomyth/mmop';

/** Why a module did not load: the message, with what to do when it is TypeScript and tsx is not there. */
export class ModuleLoadError extends Error {
  override readonly name = 'ModuleLoadError';
}

let tsxRegistered = false;

/** Imports the module at `path` (relative to the working directory); `what` names it in errors ('the system'). */
export async function importUserModule(path: string, what: string): Promise<{ default?: unknown }> {
  const absolute = resolve(path);
  const url = pathToFileURL(absolute).href;
  try {
    return (await import(url)) as { default?: unknown };
  } catch (error) {
    if (!isUnknownExtension(error) || tsxRegistered) throw error;
    const tsx = findTsx(absolute);
    if (tsx === undefined) {
      throw new ModuleLoadError(
        `${describeError(error)}. Node does not run TypeScript by itself: install tsx in the project ` +
          '(npm install --save-dev tsx; monomyth-worker then loads it by itself), or start the worker with ' +
          `NODE_OPTIONS="--import tsx", or compile ${what} to .js and point at that`,
        { cause: error },
      );
    }
    // tsx's main entry is what `node --import tsx` loads: importing it registers its loader hooks in this process.
    await import(pathToFileURL(tsx).href);
    tsxRegistered = true;
    // A query makes it a new module for the loader: the failed first attempt is cached under the plain URL.
    return (await import(`${url}?tsx`)) as { default?: unknown };
  }
}

function isUnknownExtension(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_UNKNOWN_FILE_EXTENSION';
}

/**
 * Where tsx's main entry is in the project that holds the module: looked up from the module's directory, as the
 * module's own imports are (not from the working directory, which may be another project's).
 */
function findTsx(modulePath: string): string | undefined {
  try {
    return createRequire(join(dirname(modulePath), 'noop.js')).resolve('tsx');
  } catch {
    return undefined;
  }
}
