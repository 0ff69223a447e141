/** Plain-text tables for people: a header row, aligned columns, numbers right-aligned. */
import type { NodeStatus, RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { autoscaleCell, decisionCell, rateLimitCell } from './scaling-commands.js';

type Cell = string | number;

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => String(row[column] ?? '').length)),
  );
  const line = (cells: readonly Cell[]): string =>
    cells
      .map((cell, column) => {
        const text = String(cell);
        const width = widths[column] ?? 0;
        return typeof cell === 'number' ? text.padStart(width) : text.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function ago(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One column of a listing: its header, and how to read its cell from an item. */
type Column<T> = readonly [header: string, cell: (item: T) => Cell];

/** A table with one row per item; `empty`, a sentence, when there are none. */
function listing<T>(items: readonly T[], empty: string, columns: readonly Column<T>[]): string {
  if (items.length === 0) return empty;
  return table(
    columns.map(([header]) => header),
    items.map((item) => columns.map(([, cell]) => cell(item))),
  );
}

function sum(nodes: readonly NodeStatus[], count: 'processed' | 'failed'): number {
  return nodes.reduce((total, node) => total + node[count], 0);
}

export function workersTable(workers: readonly WorkerInfo[]): string {
  return listing(workers, 'No workers are registered.', [
    ['WORKER', (worker) => worker.workerId],
    ['HOST', (worker) => worker.host],
    ['PID', (worker) => worker.pid],
    ['STATE', (worker) => worker.state],
    ['LAG', (worker) => ago(worker.eventLoopLagMs ?? 0)],
    ['NODES', (worker) => worker.nodes.length],
    ['CAPACITY', (worker) => worker.capacity],
    ['PROCESSED', (worker) => sum(worker.nodes, 'processed')],
    ['FAILED', (worker) => sum(worker.nodes, 'failed')],
    ['SEEN', (worker) => ago(worker.lastSeenMsAgo)],
    ['TYPES', (worker) => worker.types.join(',')],
  ]);
}

export function recipesTable(recipes: readonly RecipeInfo[]): string {
  // The scaling columns only when some type is autoscaled: the plain table stays as scripts know it.
  const scaled = recipes.some(
    (recipe) => recipe.autoscale ?? recipe.lastDecision ?? recipe.rateLimit,
  );
  const scaling: Column<RecipeInfo>[] = [
    ['AUTOSCALE', autoscaleCell],
    ['LAST DECISION', (recipe) => decisionCell(recipe)],
    ['RATE LIMIT', rateLimitCell],
  ];
  return listing(recipes, 'No node types are known: no worker has registered yet.', [
    ['TYPE', (recipe) => recipe.type],
    ['DESIRED', (recipe) => recipe.desired],
    ['RUNNING', (recipe) => recipe.running],
    ['STARTING', (recipe) => recipe.outstanding],
    ['COMPLETED', (recipe) => recipe.completed],
    ['FAILED', (recipe) => recipe.failed],
    ['WORKERS', (recipe) => recipe.workers],
    ...(scaled ? scaling : []),
  ]);
}

/** What a start or a stop did: a row per node it `did` (started, stopped), then a row per failure. */
export function outcomesTable(
  did: string,
  nodes: readonly { readonly nodeName: string; readonly workerId: string }[],
  failures: readonly {
    readonly nodeName?: string;
    readonly workerId: string;
    readonly reason: string;
  }[],
): string {
  return table(
    ['RESULT', 'NODE', 'WORKER', 'REASON'],
    [
      ...nodes.map((node) => [did, node.nodeName, node.workerId, '']),
      ...failures.map((failure) => [
        'failed',
        failure.nodeName ?? '',
        failure.workerId,
        failure.reason,
      ]),
    ],
  );
}
