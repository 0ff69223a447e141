/**
 * One page of an info list (WORKER-INFO, RECIPE-INFO), so the answer stays within the reply size limit and the control
 * client's timeout however large the cluster. A request with neither `offset` nor `limit` gets the whole list, as
 * before pages existed; one with either gets its page and the list's `total`, which tells the client when to stop.
 */
import { MAX_INFO_PAGE } from '@monomyth/mmop';

export interface PageRequest {
  readonly offset?: number;
  readonly limit?: number;
}

export function infoPage<T>(all: T[], request: PageRequest): { items: T[]; total?: number } {
  if (request.offset === undefined && request.limit === undefined) return { items: all };
  const offset = request.offset ?? 0;
  return { items: all.slice(offset, offset + (request.limit ?? MAX_INFO_PAGE)), total: all.length };
}
