/**
 * One page of an info list (WORKER-INFO, RECIPE-INFO), so the answer stays within the reply size limit and the control
 * client's timeout however large the cluster. A request with neither `offset` nor `limit` gets the whole list, as
 * before pages existed; one with either gets its page and the list's `total`, which tells the client when to stop.
 */
import { MAX_INFO_PAGE } from '@monomyth/mmop';
import type { MessageOf, WorkerInfo } from '@monomyth/mmop';
import type { Cluster } from './cluster.js';

export interface PageRequest {
  readonly offset?: number;
  readonly limit?: number;
}

export function infoPage<T>(all: T[], request: PageRequest): { items: T[]; total?: number } {
  if (request.offset === undefined && request.limit === undefined) return { items: all };
  const offset = request.offset ?? 0;
  return { items: all.slice(offset, offset + (request.limit ?? MAX_INFO_PAGE)), total: all.length };
}

/**
 * A page of WORKER-INFO: the workers that offer `type` when the request names one (all of them otherwise), paged, and
 * described only for the page (describing every worker of 10,000 for each page of 500 made listing them quadratic).
 */
export function workerInfoPage(
  cluster: Cluster,
  request: MessageOf<'WORKER-INFO'>,
  now: number,
  livenessWindowMs: number,
): { items: WorkerInfo[]; total?: number } {
  const { type } = request;
  const matching = [...(type === undefined ? cluster.workers() : cluster.offering(type))];
  const { items, total } = infoPage(matching, request);
  return {
    items: cluster.workerInfo(now, livenessWindowMs, items),
    ...(total !== undefined && { total }),
  };
}
