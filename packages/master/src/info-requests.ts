/**
 * The answers to a control client's questions that change nothing: PING, WORKER-INFO and RECIPE-INFO (one page of the
 * list each, info-pages.ts). Built here as messages; master.ts sends them.
 */
import type { MessageOf, RecipeInfo } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { infoPage, workerInfoPage } from './info-pages.js';
import { livenessWindowMs } from './node-placement.js';

/** PING: the master answers with its epoch, so a client sees a restart. */
export function pong(masterEpoch: string, ping: MessageOf<'PING'>): MessageOf<'PONG'> {
  return { kind: 'PONG', requestId: ping.requestId, masterEpoch };
}

/** WORKER-INFO: the registered workers (the page asked for), as seen now. */
export function workerInfoAnswer(
  context: MasterContext,
  request: MessageOf<'WORKER-INFO'>,
): MessageOf<'INFO-RESPONSE'> {
  const { items, total } = workerInfoPage(
    context.cluster,
    request,
    Date.now(),
    livenessWindowMs(context),
  );
  return {
    kind: 'INFO-RESPONSE',
    requestId: request.requestId,
    workers: items,
    ...(total !== undefined && { total }),
  };
}

/** RECIPE-INFO: every node type known with its counts (the page asked for). */
export function recipeInfoAnswer(
  recipes: RecipeInfo[],
  request: MessageOf<'RECIPE-INFO'>,
): MessageOf<'INFO-RESPONSE'> {
  const { items, total } = infoPage(recipes, request);
  return {
    kind: 'INFO-RESPONSE',
    requestId: request.requestId,
    recipes: items,
    ...(total !== undefined && { total }),
  };
}
