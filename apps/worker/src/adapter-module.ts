/**
 * `--adapter MODULE`: a stream adapter of the user's own, from a module whose default export creates it. The worker
 * calls it once with what it knows (its id, its logger, its environment, the `--amqp` URLs if given), opens what it
 * returns, and closes it on the way out, as it does its own adapters. docs/writing-a-stream-adapter.md has a worked
 * example.
 *
 *   // my-adapter.js
 *   export default function createAdapter({ workerId, logger, env }) {
 *     return new MyAdapter({ url: env.MY_BROKER_URL, name: workerId, logger });
 *   }
 */
import type { Logger, StreamAdapter } from '@monomyth/node';
import { MonomythError, brandError, describeError } from '@monomyth/mmop';
import { importUserModule } from './load-module.js';

/** What an adapter module's default export is called with. */
export interface AdapterModuleContext {
  /** The worker's id (`--name`, or the one it chose): to name connections after. */
  readonly workerId: string;
  /** The worker's logger: an adapter must not write to the console. */
  readonly logger: Logger;
  /** The worker's environment, for the adapter's own settings. */
  readonly env: NodeJS.ProcessEnv;
  /** `--amqp` (or MONOMYTH_AMQP_URL) as a list, when given: for an adapter that wraps RabbitMQ's. */
  readonly amqp: readonly string[] | undefined;
}

/** An adapter module's default export. */
export type AdapterFactory = (
  context: AdapterModuleContext,
) => StreamAdapter | Promise<StreamAdapter>;

/** The module could not be loaded, or its default export did not make a StreamAdapter. */
export class AdapterModuleError extends MonomythError {
  static {
    brandError(this, 'monomyth-worker.AdapterModuleError');
  }

  readonly code = 'BAD_ADAPTER_MODULE';
}

const METHODS = ['open', 'close', 'declareQueue', 'consume', 'publish'] as const;

/** Loads the module and makes the adapter (not opened). */
export async function createAdapterFromModule(
  path: string,
  context: AdapterModuleContext,
): Promise<StreamAdapter> {
  let module: { default?: unknown };
  try {
    module = await importUserModule(path, 'the adapter module');
  } catch (error) {
    throw new AdapterModuleError(
      `could not load the adapter module ${path}: ${describeError(error)}`,
      { cause: error },
    );
  }
  const factory = module.default;
  if (typeof factory !== 'function') {
    throw new AdapterModuleError(
      `${path} does not default-export a function that creates a StreamAdapter: ` +
        'export default function createAdapter({ workerId, logger, env, amqp }) { ... }',
    );
  }
  let adapter: unknown;
  try {
    adapter = await (factory as AdapterFactory)(context);
  } catch (error) {
    throw new AdapterModuleError(
      `the default export of ${path} failed to create an adapter: ${describeError(error)}`,
      { cause: error },
    );
  }
  const missing = METHODS.filter(
    (method) =>
      typeof (adapter as Record<string, unknown> | null | undefined)?.[method] !== 'function',
  );
  if (missing.length > 0) {
    throw new AdapterModuleError(
      `the default export of ${path} returned something that is not a StreamAdapter (no ${missing.join(', ')})`,
    );
  }
  return adapter as StreamAdapter;
}
