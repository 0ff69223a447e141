/** Plain-text tables for people: a header row, aligned columns, numbers right-aligned. */
import type { RecipeInfo, WorkerInfo } from '@monomyth/mmop';

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

export function workersTable(workers: readonly WorkerInfo[]): string {
  if (workers.length === 0) return 'No workers are registered.';
  const rows = workers.map((worker) => [
    worker.workerId,
    worker.host,
    worker.pid,
    worker.state,
    ago(worker.eventLoopLagMs ?? 0),
    worker.nodes.length,
    worker.capacity,
    worker.nodes.reduce((sum, node) => sum + node.processed, 0),
    worker.nodes.reduce((sum, node) => sum + node.failed, 0),
    ago(worker.lastSeenMsAgo),
    worker.types.join(','),
  ]);
  return table(
    [
      'WORKER',
      'HOST',
      'PID',
      'STATE',
      'LAG',
      'NODES',
      'CAPACITY',
      'PROCESSED',
      'FAILED',
      'SEEN',
      'TYPES',
    ],
    rows,
  );
}

export function recipesTable(recipes: readonly RecipeInfo[]): string {
  if (recipes.length === 0) return 'No node types are known: no worker has registered yet.';
  const rows = recipes.map((recipe) => [
    recipe.type,
    recipe.desired,
    recipe.running,
    recipe.outstanding,
    recipe.completed,
    recipe.failed,
    recipe.workers,
  ]);
  return table(['TYPE', 'DESIRED', 'RUNNING', 'STARTING', 'COMPLETED', 'FAILED', 'WORKERS'], rows);
}
