/**
 * Running batches through the interceptors and counting them: each batch gets an id, runs under the interceptors with
 * its own runner innermost (several may be in flight at once: see batch-pipeline.ts), and adds its outcome to the
 * node's counters and its duration to the latency histogram, unless the node abandoned it.
 */
import type { NodeInfo } from './definition.js';
import { composeInterceptors } from './interceptors.js';
import type { BatchInterceptor, BatchOutcome, BatchRunner } from './interceptors.js';
import type { NodeCounters } from './node-stats.js';

export class BatchRuns {
  private batchId = 0;
  /** The batches the interceptors are about to run, by batch id (see `execute`). */
  private readonly pending = new Map<number, () => Promise<BatchOutcome>>();
  private readonly runBatch: BatchRunner;
  /** Messages of the batches in flight (a generator's values are not counted: nothing is held for them). */
  inFlightMessages = 0;

  constructor(
    private readonly info: NodeInfo,
    interceptors: readonly BatchInterceptor[],
    private readonly counters: NodeCounters,
    /** True once the node gave up on its batches in flight: they are not counted. */
    private readonly abandoned: () => boolean,
  ) {
    this.runBatch = composeInterceptors(interceptors, (batch) => this.execute(batch.batchId));
  }

  /** True while a batch is in flight. */
  get busy(): boolean {
    return this.pending.size > 0 || this.inFlightMessages > 0;
  }

  /** Runs one batch through the interceptors, `run` innermost, and counts it. */
  async run(size: number, queue: string | null, run: () => Promise<BatchOutcome>): Promise<void> {
    const started = performance.now();
    const batchId = ++this.batchId;
    const held = queue === null ? 0 : size;
    this.inFlightMessages += held;
    this.pending.set(batchId, run);
    try {
      const outcome = await this.runBatch({ node: this.info, batchId, size, queue });
      if (this.abandoned()) return;
      const { counters } = this;
      counters.processed += outcome.processed;
      counters.failed += outcome.failed;
      counters.retried += outcome.retried;
      counters.published += outcome.published;
      counters.batches += 1;
      counters.latency.record(performance.now() - started);
    } finally {
      this.pending.delete(batchId);
      this.inFlightMessages -= held;
    }
  }

  /** The innermost batch runner, under the interceptors: runs the batch `run` was given, once. */
  private execute(batchId: number): Promise<BatchOutcome> {
    const run = this.pending.get(batchId);
    if (run === undefined) {
      return Promise.reject(
        new Error('an interceptor called next() twice, or after its batch ended'),
      );
    }
    this.pending.delete(batchId);
    return run();
  }
}
