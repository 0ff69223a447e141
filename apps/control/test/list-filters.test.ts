/**
 * `monomyth workers --type X --limit N` and `monomyth recipes --limit N` against a monomyth-master process with 40
 * simulated workers (bench/src/sim-fleet.ts): the filter and the limit apply at the master, and a limit under 1 is a
 * usage error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { SimulatedFleet } from '../../../bench/src/sim-fleet.js';
import { Processes, control, eventually, run } from './processes.js';

const WORKERS = 40;
const TYPES = 10;
const processes = new Processes();
let master: string;
let fleet: SimulatedFleet | undefined;

/** The workers that offer `type`, by the fleet's rule: worker i offers T((8i + k) mod TYPES) for k in 0..7. */
function offering(type: string): string[] {
  const ids: string[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const types = Array.from({ length: 8 }, (_, k) => `T${(i * 8 + k) % TYPES}`);
    if (types.includes(type)) ids.push(`sim-${i}`);
  }
  return ids;
}

beforeAll(async () => {
  ({ master } = await processes.startMaster({ heartbeatMs: 500, heartbeatMisses: 10 }));
  fleet = new SimulatedFleet({
    endpoint: master,
    first: 0,
    count: WORKERS,
    typeCount: TYPES,
    heartbeatMs: 500,
  });
  await fleet.start();
  await eventually(
    () => fleet?.registered ?? 0,
    (registered) => registered === WORKERS,
  );
});

afterAll(() => {
  fleet?.close();
  processes.killAll();
});

describe('monomyth workers and recipes, filtered', () => {
  it('list - workers --type lists only the workers that offer the type', async () => {
    const expected = offering('T3');
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(WORKERS);
    const listed = await control<WorkerInfo[]>(master, ['workers', '--type', 'T3']);
    expect(listed.map((worker) => worker.workerId).sort()).toEqual([...expected].sort());
    expect(await control<WorkerInfo[]>(master, ['workers', '--type', 'NOBODY'])).toEqual([]);
  });

  it('list - --limit caps workers and recipes; with --type, the first of those that offer it', async () => {
    expect(await control<WorkerInfo[]>(master, ['workers', '--limit', '5'])).toHaveLength(5);
    expect(await control<WorkerInfo[]>(master, ['workers'])).toHaveLength(WORKERS);
    const two = await control<WorkerInfo[]>(master, ['workers', '--type', 'T3', '--limit', '2']);
    expect(two).toHaveLength(2);
    for (const worker of two) expect(worker.types).toContain('T3');
    const recipes = await control<RecipeInfo[]>(master, ['recipes', '--limit', '3']);
    expect(recipes.map((recipe) => recipe.type)).toEqual(['PLACE', 'T0', 'T1']);
  });

  it('list - a --limit under 1 is a usage error (exit 2)', async () => {
    for (const args of [
      ['workers', '--limit', '0'],
      ['recipes', '--limit', '-1'],
    ]) {
      const result = await run('control', ['--master', master, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--limit');
    }
  });
});
