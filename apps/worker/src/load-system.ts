/** Loads the system a worker runs: a module whose default export is `defineSystem(...)`. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isSystem } from '@monomyth/node';
import type { System } from '@monomyth/node';
import { MonomythError, brandError, describeError } from '@monomyth/mmop';

/** The module could not be loaded, or does not default-export a system. */
export class SystemModuleError extends MonomythError {
  static {
    brandError(this, 'monomyth-worker.SystemModuleError');
  }

  readonly code = 'BAD_SYSTEM_MODULE';
}

export async function loadSystem(path: string): Promise<System> {
  const url = pathToFileURL(resolve(path)).href;
  let module: { default?: unknown };
  try {
    module = (await import(url)) as { default?: unknown };
  } catch (error) {
    throw new SystemModuleError(`could not load the system module ${path}: ${whyNot(error)}`, {
      cause: error,
    });
  }
  if (!isSystem(module.default)) {
    throw new SystemModuleError(
      `${path} does not default-export a system: export default defineSystem({ name, nodes })`,
    );
  }
  return module.default;
}

/** Why the import failed, with what to do when Node cannot read the file's kind (TypeScript, on Node without tsx). */
function whyNot(error: unknown): string {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION')
    return describeError(error);
  return (
    `${describeError(error)}. Node does not run TypeScript by itself: install tsx (npm install tsx) and start ` +
    'the worker with NODE_OPTIONS="--import tsx", or compile the system to .js and point --system at that'
  );
}
