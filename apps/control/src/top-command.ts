/**
 * `monomyth top`: the dashboard's picture in a terminal, for a server without a browser. One row per stage (node type)
 * with its running / desired nodes, its rate in messages per second since the last refresh, its backlog (its source
 * queue's ready + unacked, as the workers' heartbeats report it), its processed and failed counts, the messages in
 * flight and the worst p99 batch latency; refreshed every --interval-ms until Ctrl-C or --iterations.
 *
 *   monomyth top [--interval-ms 1000] [-n, --iterations N]       (with --json: one JSON object a line per refresh)
 *
 * It asks the master over MMOP (RECIPE-INFO and WORKER-INFO, with the usual --master and keys), not over the master's
 * HTTP port, so it works wherever the other commands do. On a terminal each refresh redraws the screen; piped, the
 * tables follow one another.
 */
import type { Command } from 'commander';
import { durationArgument, wholeNumberArgument } from '@monomyth/cli-kit';
import type { ControlClient } from '@monomyth/control';
import type { RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { table } from './tables.js';
import { withClient } from './with-client.js';
import type { GlobalOptions } from './with-client.js';

const interval = durationArgument({ min: 100, max: 3_600_000 });
const iterations = wholeNumberArgument({ min: 1 });

export interface TopRow {
  readonly type: string;
  readonly running: number;
  readonly desired: number;
  readonly starting: number;
  /** Messages processed per second since the previous refresh; null on the first. */
  readonly rate: number | null;
  readonly backlog: { readonly ready: number; readonly unacked: number } | null;
  readonly processed: number;
  readonly failed: number;
  readonly inFlight: number;
  readonly latencyP99Ms: number | null;
}

/**
 * Rates from one refresh to the next. Node counters start again at 0 when a node is rebuilt or its worker restarts,
 * so each node's progress is its counter's rise since the last refresh, or all of it when the counter went down or
 * the node is new; what each node counted is summed per type.
 */
export class TopRates {
  #last = new Map<string, number>();
  #lastAt: number | undefined;

  /** The rows of one refresh taken at `at` (ms). */
  rows(recipes: readonly RecipeInfo[], workers: readonly WorkerInfo[], at: number): TopRow[] {
    const seconds = this.#lastAt === undefined ? undefined : (at - this.#lastAt) / 1000;
    const next = new Map<string, number>();
    const perType = new Map<
      string,
      { progress: number; processed: number; failed: number; inFlight: number; p99: number | null }
    >();
    for (const worker of workers) {
      for (const node of worker.nodes) {
        const entry = perType.get(node.type) ?? {
          progress: 0,
          processed: 0,
          failed: 0,
          inFlight: 0,
          p99: null,
        };
        const before = this.#last.get(node.name);
        entry.progress +=
          before === undefined
            ? this.#lastAt === undefined
              ? 0
              : node.processed
            : node.processed >= before
              ? node.processed - before
              : node.processed;
        entry.processed += node.processed;
        entry.failed += node.failed;
        entry.inFlight += node.inFlight;
        if (node.latencyP99Ms !== undefined)
          entry.p99 = Math.max(entry.p99 ?? 0, node.latencyP99Ms);
        perType.set(node.type, entry);
        next.set(node.name, node.processed);
      }
    }
    this.#last = next;
    this.#lastAt = at;
    return recipes.map((recipe) => {
      const entry = perType.get(recipe.type);
      return {
        type: recipe.type,
        running: recipe.running,
        desired: recipe.desired,
        starting: recipe.outstanding,
        rate: seconds === undefined || seconds <= 0 ? null : (entry?.progress ?? 0) / seconds,
        backlog: recipe.backlog ?? null,
        processed: entry?.processed ?? 0,
        failed: entry?.failed ?? 0,
        inFlight: entry?.inFlight ?? 0,
        latencyP99Ms: entry?.p99 ?? null,
      };
    });
  }
}

const round = (value: number): number => Math.round(value * 10) / 10;

/** The table `top` prints for one refresh. */
export function topTable(rows: readonly TopRow[], workers: readonly WorkerInfo[]): string {
  const active = workers.filter((worker) => worker.state === 'active').length;
  const header = `${workers.length} workers (${active} active), ${rows.length} stages`;
  if (rows.length === 0) return `${header}\nNo node types are known yet.`;
  return `${header}\n${table(
    [
      'STAGE',
      'RUNNING',
      'RATE/S',
      'BACKLOG',
      'READY',
      'UNACKED',
      'PROCESSED',
      'FAILED',
      'IN-FLIGHT',
      'P99',
    ],
    rows.map((row) => [
      row.type,
      `${row.running}/${row.desired}${row.starting > 0 ? ` +${row.starting}` : ''}`,
      row.rate === null ? '-' : round(row.rate),
      row.backlog === null ? '-' : row.backlog.ready + row.backlog.unacked,
      row.backlog === null ? '-' : row.backlog.ready,
      row.backlog === null ? '-' : row.backlog.unacked,
      row.processed,
      row.failed,
      row.inFlight,
      row.latencyP99Ms === null ? '-' : `${round(row.latencyP99Ms)} ms`,
    ]),
  )}`;
}

interface TopFlags {
  intervalMs: number;
  iterations?: number;
}

async function runTop(
  client: ControlClient,
  options: GlobalOptions,
  flags: TopFlags,
): Promise<void> {
  const rates = new TopRates();
  const redraw = !options.json && process.stdout.isTTY;
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = (): void => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  try {
    for (let refresh = 1; !stopped; refresh++) {
      const [recipes, workers] = await Promise.all([client.recipes(), client.workers()]);
      const at = Date.now();
      const rows = rates.rows(recipes, workers, at);
      if (options.json) console.log(JSON.stringify({ at, workers: workers.length, stages: rows }));
      else if (redraw)
        process.stdout.write(
          `\x1b[H\x1b[2J${new Date(at).toLocaleTimeString()}  ${topTable(rows, workers)}\n`,
        );
      else console.log(`${refresh > 1 ? '\n' : ''}${topTable(rows, workers)}`);
      if (flags.iterations !== undefined && refresh >= flags.iterations) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, flags.intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
  }
}

/** Registers `monomyth top` on the program. */
export function registerTop(program: Command): void {
  program
    .command('top')
    .description(
      'the pipeline per stage, refreshed: running/desired, rate, backlog, failures (Ctrl-C to stop)',
    )
    .option('--interval-ms <ms>', 'how often to refresh', interval, 1000)
    .option(
      '-n, --iterations <n>',
      'stop after this many refreshes (default: until Ctrl-C)',
      iterations,
    )
    .action(async (flags: TopFlags, command: Command) =>
      withClient(command, (client, options) => runTop(client, options, flags)),
    );
}
