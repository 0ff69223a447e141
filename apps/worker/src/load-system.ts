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
    throw new SystemModuleError(
      `could not load the system module ${path}: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!isSystem(module.default)) {
    throw new SystemModuleError(
      `${path} does not default-export a system: export default defineSystem({ name, nodes })`,
    );
  }
  return module.default;
}
