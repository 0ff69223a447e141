/**
 * The picture of the cluster that `GET /api/cluster` and the dashboard's events serve: stages (node types) with their
 * rates, backlog, failures and counts; queues as edges between them (fan-out, routes and fail queues included); and
 * the workers with their nodes and last heartbeat. Built from what the master knows; no request goes to a worker.
 */
import type { Recipe, RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import type { QueueBacklog } from '../queue-backlog.js';
import type { MasterStats, TypeTotals } from './master-stats.js';
import type { RateWindow } from './rates.js';

/** What the snapshot reads from the master. */
export interface ClusterSource {
  readonly epoch: string;
  readonly endpoint: string;
  workers(): WorkerInfo[];
  recipes(): RecipeInfo[];
  queueBacklog(): QueueBacklog[];
  /** The recipe a worker offered for a type (its source and destinations), if any did. */
  recipe(type: string): Recipe | undefined;
}

export interface StageSnapshot {
  readonly type: string;
  /** The queue it reads; null for a generator (or a recipe without one). */
  readonly source: string | null;
  readonly desired: number;
  readonly running: number;
  /** Starts sent and not yet answered. */
  readonly starting: number;
  /** Workers that can run it. */
  readonly workers: number;
  /** Messages processed and failed per second, over the last few seconds. */
  readonly rate: number;
  readonly failRate: number;
  /** Its source queue's counts, or null until a heartbeat reports them (or for a generator). */
  readonly backlog: { readonly ready: number; readonly unacked: number } | null;
  readonly inFlight: number;
  readonly totals: Readonly<TypeTotals>;
  /** Starts that did not succeed and nodes that exited for good (the master's own count). */
  readonly nodeFailures: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
}

export type EdgeKind = 'data' | 'route' | 'fail';

/** A queue between stages: written by `from` (null: from outside), read by `to` (empty: read outside the system). */
export interface QueueEdge {
  readonly queue: string;
  readonly from: string | null;
  readonly to: readonly string[];
  readonly kind: EdgeKind;
  /** The route's name, for a routed destination. */
  readonly route?: string;
  readonly ready: number | null;
  readonly unacked: number | null;
}

export interface ClusterSnapshot {
  readonly epoch: string;
  readonly endpoint: string;
  /** When it was taken, in ms since the epoch. */
  readonly at: number;
  readonly stages: readonly StageSnapshot[];
  readonly queues: readonly QueueEdge[];
  readonly workers: readonly WorkerInfo[];
  readonly mmop: { readonly framesReceived: number; readonly framesMalformed: number };
  readonly workerLosses: number;
}

/** Where a recipe's outputs go: one entry per queue, with the route that leads there. */
function destinations(recipe: Recipe | undefined): { queue: string; route?: string }[] {
  const dest = recipe?.dest;
  if (Array.isArray(dest))
    return dest
      .filter((queue): queue is string => typeof queue === 'string')
      .map((queue) => ({ queue }));
  if (dest === null || typeof dest !== 'object') return [];
  const out: { queue: string; route?: string }[] = [];
  for (const [route, queues] of Object.entries(dest as Record<string, unknown>)) {
    if (!Array.isArray(queues)) continue;
    for (const queue of queues) if (typeof queue === 'string') out.push({ queue, route });
  }
  return out;
}

export function clusterSnapshot(
  source: ClusterSource,
  stats: MasterStats,
  rates: RateWindow,
  now: number,
): ClusterSnapshot {
  const workers = source.workers();
  const backlog = new Map(source.queueBacklog().map((entry) => [entry.queue, entry]));
  const infos = source.recipes();
  const sourceOf = new Map<string, string | null>();
  for (const info of infos) {
    const queue = source.recipe(info.type)?.source;
    sourceOf.set(info.type, typeof queue === 'string' ? queue : null);
  }
  const readers = new Map<string, string[]>();
  for (const [type, queue] of sourceOf) {
    if (queue === null) continue;
    readers.set(queue, [...(readers.get(queue) ?? []), type]);
  }
  const perType = new Map<string, { inFlight: number; p50: number | null; p99: number | null }>();
  for (const worker of workers) {
    for (const node of worker.nodes) {
      const entry = perType.get(node.type) ?? { inFlight: 0, p50: null, p99: null };
      entry.inFlight += node.inFlight;
      if (node.latencyP50Ms !== undefined) entry.p50 = Math.max(entry.p50 ?? 0, node.latencyP50Ms);
      if (node.latencyP99Ms !== undefined) entry.p99 = Math.max(entry.p99 ?? 0, node.latencyP99Ms);
      perType.set(node.type, entry);
    }
  }
  const counts = (queue: string) => {
    const entry = backlog.get(queue);
    return { ready: entry?.ready ?? null, unacked: entry?.unacked ?? null };
  };

  const stages: StageSnapshot[] = infos.map((info) => {
    const queue = sourceOf.get(info.type) ?? null;
    const entry = queue === null ? undefined : backlog.get(queue);
    const rate = rates.ratesOf(info.type);
    const nodes = perType.get(info.type);
    return {
      type: info.type,
      source: queue,
      desired: info.desired,
      running: info.running,
      starting: info.outstanding,
      workers: info.workers,
      rate: rate.processed,
      failRate: rate.failed,
      backlog: entry ? { ready: entry.ready, unacked: entry.unacked } : null,
      inFlight: nodes?.inFlight ?? 0,
      totals: { ...stats.totalsOf(info.type) },
      nodeFailures: info.failed,
      latencyP50Ms: nodes?.p50 ?? null,
      latencyP99Ms: nodes?.p99 ?? null,
    };
  });

  const queues: QueueEdge[] = [];
  const written = new Set<string>();
  for (const info of infos) {
    for (const { queue, route } of destinations(source.recipe(info.type))) {
      written.add(queue);
      queues.push({
        queue,
        from: info.type,
        to: readers.get(queue) ?? [],
        kind: route === undefined ? 'data' : 'route',
        ...(route === undefined ? {} : { route }),
        ...counts(queue),
      });
    }
    // Every node type has a fail queue, `<TYPE>-fail` (@monomyth/node's naming), read by no stage of the system.
    const fail = `${info.type}-fail`;
    queues.push({
      queue: fail,
      from: info.type,
      to: readers.get(fail) ?? [],
      kind: 'fail',
      ...counts(fail),
    });
    written.add(fail);
  }
  // Source queues no stage writes: the system's inputs, fed from outside.
  for (const [queue, types] of readers)
    if (!written.has(queue))
      queues.push({ queue, from: null, to: types, kind: 'data', ...counts(queue) });

  return {
    epoch: source.epoch,
    endpoint: source.endpoint,
    at: now,
    stages,
    queues,
    workers,
    mmop: { framesReceived: stats.framesReceived, framesMalformed: stats.framesMalformed },
    workerLosses: stats.workerLosses.silent + stats.workerLosses.stalled,
  };
}
