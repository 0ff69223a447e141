import { describe, expect, it } from 'vitest';
import { runIntercepted } from './interceptors.js';
import type { BatchInfo, BatchInterceptor, BatchOutcome } from './interceptors.js';

const info: BatchInfo = {
  node: { type: 'T', name: 'T:1', worker: undefined },
  batchId: 7,
  size: 3,
  queue: 'in',
};
const outcome: BatchOutcome = { processed: 3, failed: 0, retried: 0, requeued: 0, published: 3 };

/** An interceptor that records when it enters and leaves, around `next`. */
function recording(name: string, log: string[]): BatchInterceptor {
  return {
    async interceptBatch(seen, next) {
      log.push(`${name} in ${seen.batchId}`);
      const result = await next();
      log.push(`${name} out`);
      return result;
    },
  };
}

describe('interceptors', () => {
  it('order - the first is outermost, the batch runs innermost, each sees the batch info', async () => {
    const log: string[] = [];
    const run = (): Promise<BatchOutcome> => {
      log.push('batch');
      return Promise.resolve(outcome);
    };
    const got = await runIntercepted([recording('a', log), recording('b', log)], info, run);
    expect(got).toBe(outcome);
    expect(log).toEqual(['a in 7', 'b in 7', 'batch', 'b out', 'a out']);
  });

  it('none - the batch runner is called directly and its promise returned as is', async () => {
    const promise = Promise.resolve(outcome);
    expect(runIntercepted([], info, () => promise)).toBe(promise);
    await promise;
  });

  it('next twice - the batch runs once, and both calls get its outcome', async () => {
    let runs = 0;
    const twice: BatchInterceptor = {
      async interceptBatch(_info, next) {
        const first = await next();
        const second = await next();
        expect(second).toBe(first);
        return first;
      },
    };
    const run = (): Promise<BatchOutcome> => {
      runs += 1;
      return Promise.resolve(outcome);
    };
    await expect(runIntercepted([twice, recording('inner', [])], info, run)).resolves.toBe(outcome);
    expect(runs).toBe(1);
  });

  it('per batch - two batches in flight through the same interceptors each run their own batch', async () => {
    const other = { ...outcome, processed: 1 };
    const slow: BatchInterceptor = {
      async interceptBatch(_info, next) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return next();
      },
    };
    const [a, b] = await Promise.all([
      runIntercepted([slow], info, () => Promise.resolve(outcome)),
      runIntercepted([slow], { ...info, batchId: 8 }, () => Promise.resolve(other)),
    ]);
    expect(a).toBe(outcome);
    expect(b).toBe(other);
  });

  it('errors - a failing batch rejects through the interceptors; an interceptor may decorate the outcome', async () => {
    const failure = new Error('stream failed');
    const seen: unknown[] = [];
    const catching: BatchInterceptor = {
      async interceptBatch(_info, next) {
        try {
          return await next();
        } catch (error) {
          seen.push(error);
          throw error;
        }
      },
    };
    await expect(runIntercepted([catching], info, () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    expect(seen).toEqual([failure]);
    const decorating: BatchInterceptor = {
      async interceptBatch(_info, next) {
        return { ...(await next()), published: 99 };
      },
    };
    await expect(
      runIntercepted([decorating], info, () => Promise.resolve(outcome)),
    ).resolves.toEqual({
      ...outcome,
      published: 99,
    });
  });
});
