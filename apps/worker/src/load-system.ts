/** Loads the system a worker runs: a module whose default export is `defineSystem(...)`. */
import { isSystem } from '@monomyth/node';
import type { System } from '@monomyth/node';
import { MonomythError, brandError, describeError } from '@monomyth/mmop';
import { importUserModule } from './load-module.js';

/** The module could not be loaded, or does not default-export a system. */
export class SystemModuleError extends MonomythError {
  static {
    brandError(this, 'monomyth-worker.SystemModuleError');
  }

  readonly code = 'BAD_SYSTEM_MODULE';
}

export async function loadSystem(path: string): Promise<System> {
  let module: { default?: unknown };
  try {
    // A .ts module goes through tsx when the project has it (load-module.ts); else the error says what to do.
    module = await importUserModule(path, 'the system');
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
