/**
 * When a worker is ready for traffic: registered with a master AND its stream adapter connected. A probe returns the
 * reason it is not ready, or undefined when it is; the HTTP endpoint answers 503 with that reason.
 */
import type { StreamAdapter } from '@monomyth/node';
import { isConnectionStateCapable } from '@monomyth/node/adapter';
import type { WorkerState } from '../worker.js';

/** Says why the worker is not ready now, or undefined when it is. Called on each `GET /ready`: keep it cheap. */
export type ReadinessProbe = () => string | undefined;

export interface WorkerReadinessSources {
  /** The worker: ready only while `registered`; a `masterEpoch` says it was registered before. */
  readonly worker: { readonly state: WorkerState; readonly masterEpoch: string };
  readonly adapter: StreamAdapter;
  /** Resolves when the adapter gives up for good (RabbitMqStreamAdapter's `failed()`); not ready from then on. */
  readonly adapterFailed?: Promise<Error>;
}

/** The probe for a worker process: registered, adapter not given up, and connected where the adapter says. */
export function workerReadiness(sources: WorkerReadinessSources): ReadinessProbe {
  const { worker, adapter } = sources;
  let gaveUp: string | undefined;
  void sources.adapterFailed?.then((error) => {
    gaveUp = `the stream adapter gave up: ${error.message}`;
  });
  return () => {
    if (worker.state !== 'registered') {
      if (worker.state !== 'registering') return `the worker is ${worker.state}`;
      return worker.masterEpoch === ''
        ? 'not registered with a master yet'
        : 'registering again: the master stopped answering';
    }
    if (gaveUp !== undefined) return gaveUp;
    if (isConnectionStateCapable(adapter) && !adapter.connected)
      return 'the stream adapter is not connected to its broker';
    return undefined;
  };
}
