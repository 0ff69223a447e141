/** The demo's live progress line: messages per second through each stage, from the workers' heartbeat counters. */
import type { WorkerInfo } from '@monomyth/mmop';

export class StageProgress {
  readonly #types: readonly string[];
  #last = new Map<string, number>();
  #lastAt = performance.now();

  constructor(types: readonly string[]) {
    this.#types = types;
  }

  /** Processed counts per type, summed over every worker's nodes. */
  static processed(workers: readonly WorkerInfo[]): Map<string, number> {
    const totals = new Map<string, number>();
    for (const worker of workers) {
      for (const node of worker.nodes)
        totals.set(node.type, (totals.get(node.type) ?? 0) + node.processed);
    }
    return totals;
  }

  /**
   * One line: each stage's processed count and its rate since the previous line; undefined until a heartbeat has
   * brought any counter (a line of zeros would say nothing).
   */
  line(workers: readonly WorkerInfo[], outputs: number): string | undefined {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.#lastAt) / 1000);
    const totals = StageProgress.processed(workers);
    if ([...totals.values()].every((processed) => processed === 0)) return undefined;
    const stages = this.#types.map((type) => {
      const processed = totals.get(type) ?? 0;
      const rate = Math.max(0, (processed - (this.#last.get(type) ?? 0)) / seconds);
      return `${type.replace('TEST-NODE', 'N')} ${String(processed).padStart(6)} (${String(Math.round(rate)).padStart(6)}/s)`;
    });
    this.#last = totals;
    this.#lastAt = now;
    return `${stages.join(' | ')} | out ${String(outputs).padStart(6)}`;
  }
}
