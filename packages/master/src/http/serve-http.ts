/**
 * Wires a Master to its operator HTTP server (master-http.ts): the cluster's picture from the master's queries and its
 * registry, the message counts, and readiness from the master's state. Kept apart from master.ts so the master's file
 * holds its lifecycle and dispatch, and the HTTP side has one place where it meets the master. A master whose HTTP
 * address cannot be bound closes itself before the error goes on, so `Master.create` fails with nothing left open.
 */
import type { CloseOptions } from '@monomyth/mmop';
import type { Cluster } from '../cluster.js';
import type { Logger } from '../logger.js';
import type { CompiledMasterOptions } from '../options.js';
import type { ClusterSource } from './cluster-snapshot.js';
import { startMasterHttp } from './master-http.js';
import type { MasterHttpServer } from './master-http.js';
import type { MasterStats } from './master-stats.js';

/** What the HTTP side reads of the master, and how it closes it when the address cannot be bound. */
export interface HttpServedMaster extends Omit<ClusterSource, 'recipe'> {
  readonly state: string;
  close(options?: CloseOptions): Promise<void>;
}

/** Starts the operator HTTP server; a master whose address cannot be bound closes and rethrows. */
export async function serveHttp(
  http: NonNullable<CompiledMasterOptions['http']>,
  master: HttpServedMaster,
  parts: { readonly cluster: Cluster; readonly stats: MasterStats; readonly log: Logger },
): Promise<MasterHttpServer> {
  try {
    const server = await startMasterHttp(http, {
      cluster: {
        epoch: master.epoch,
        endpoint: master.endpoint,
        workers: () => master.workers(),
        recipes: () => master.recipes(),
        queueBacklog: () => master.queueBacklog(),
        recipe: (type) => parts.cluster.recipe(type),
      },
      stats: parts.stats,
      notReady: () => (master.state === 'running' ? undefined : `the master is ${master.state}`),
    });
    parts.log.info({ url: server.url }, `dashboard and metrics on ${server.url}`);
    return server;
  } catch (error) {
    await master.close({ reason: 'its HTTP address could not be bound' });
    throw error;
  }
}
