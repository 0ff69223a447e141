/**
 * Interceptors wrap each batch, for metrics and tracing: an interceptor gets the batch's description and a `next` that
 * runs it, and returns (or decorates) its outcome. They are composed once, when the node is built; the first in the
 * list is the outermost.
 */
import type { NodeInfo } from './definition.js';

export interface BatchInfo {
  readonly node: NodeInfo;
  /** Counts up from 1 per node instance. */
  readonly batchId: number;
  /** Messages in the batch (for a generator: values). */
  readonly size: number;
  /** The source queue; null for a generator. */
  readonly queue: string | null;
}

/** What became of a batch's messages. */
export interface BatchOutcome {
  readonly processed: number;
  readonly failed: number;
  readonly retried: number;
  /** Given back to the queue untouched (the node was stopping, or the stream failed). */
  readonly requeued: number;
  readonly published: number;
}

export interface BatchInterceptor {
  /** Must call `next` once and return its outcome (or rethrow its error): the batch runs inside it. */
  interceptBatch(info: BatchInfo, next: () => Promise<BatchOutcome>): Promise<BatchOutcome>;
}

export type BatchRunner = (info: BatchInfo) => Promise<BatchOutcome>;

/** Wraps `run` in the interceptors, the first outermost. With none, returns `run` itself. */
export function composeInterceptors(
  interceptors: readonly BatchInterceptor[],
  run: BatchRunner,
): BatchRunner {
  let composed = run;
  for (const interceptor of [...interceptors].reverse()) {
    const next = composed;
    composed = (info) => interceptor.interceptBatch(info, () => next(info));
  }
  return composed;
}
