/**
 * Running batches through the interceptors and counting them: each batch gets an id, runs under the interceptors with
 * its own runner innermost (several may be in flight at once: see batch-pipeline.ts), and adds its outcome to the
 * node's counters and its duration to the latency histogram, unless the node abandoned it.
 */
import type { NodeInfo } from './definition.js';
import { runIntercepted } from './interceptors.js';
import type { BatchInterceptor, BatchOutcome } from './interceptors.js';
import type { NodeCounters } from './node-stats.js';

export class BatchRuns {
  private batchId = 0;
  /** Batches between `run` and their end. */
  private batches = 0;
  /** Messages of the batches in flight (a generator's values are not counted: nothing is held for them). */
  inFlightMessages = 0;

  constructor(
    private readonly info: NodeInfo,
    private readonly interceptors: readonly BatchInterceptor[],
    private readonly counters: NodeCounters,
    /** True once the node gave up on its batches in flight: they are not counted. */
    private readonly abandoned: () => boolean,
  ) {}

  /** True while a batch is in flight. */
  get busy(): boolean {
    return this.batches > 0;
  }

  /** Runs one batch through the interceptors, `run` innermost, and counts it. */
  async run(size: number, queue: string | null, run: () => Promise<BatchOutcome>): Promise<void> {
    const started = performance.now();
    const batchId = ++this.batchId;
    const held = queue === null ? 0 : size;
    this.inFlightMessages += held;
    this.batches += 1;
    try {
      const info = { node: this.info, batchId, size, queue };
      const outcome = await runIntercepted(this.interceptors, info, run);
      if (this.abandoned()) return;
      const { counters } = this;
      counters.processed += outcome.processed;
      counters.failed += outcome.failed;
      counters.retried += outcome.retried;
      counters.published += outcome.published;
      counters.batches += 1;
      counters.latency.record(performance.now() - started);
    } finally {
      this.batches -= 1;
      this.inFlightMessages -= held;
    }
  }
}
