/**
 * Interceptors wrap each batch, for metrics and tracing: an interceptor gets the batch's description and a `next` that
 * runs it, and returns (or decorates) its outcome. They are composed per batch, around that batch's own run; the first
 * in the list is the outermost. A node without interceptors runs its batches directly, with nothing composed.
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
  /**
   * Must call `next` and return its outcome (or rethrow its error): the batch runs inside it. The batch runs once:
   * calling `next` again gives the same outcome.
   */
  interceptBatch(info: BatchInfo, next: () => Promise<BatchOutcome>): Promise<BatchOutcome>;
}

/**
 * Runs `run` inside the interceptors, the first outermost: each one's `next` runs the ones after it, and the last
 * one's runs the batch, once. With no interceptor, calls `run` itself (no closure).
 */
export function runIntercepted(
  interceptors: readonly BatchInterceptor[],
  info: BatchInfo,
  run: () => Promise<BatchOutcome>,
): Promise<BatchOutcome> {
  if (interceptors.length === 0) return run();
  let outcome: Promise<BatchOutcome> | undefined;
  const step = (k: number): Promise<BatchOutcome> => {
    const interceptor = interceptors[k];
    if (interceptor === undefined) return (outcome ??= run());
    return interceptor.interceptBatch(info, () => step(k + 1));
  };
  return step(0);
}
