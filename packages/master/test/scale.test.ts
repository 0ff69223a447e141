/**
 * The scale scenario of `pnpm bench orchestration` in a smaller form: 1,000 simulated workers (bench/src/sim-fleet.ts,
 * real DEALER sockets speaking MMOP/1), each with 8 nodes of 100 types, against a real master. It asserts what the
 * benchmark's figures rest on, not timings: every worker registered and its nodes counted, 1,000 nodes placed one per
 * worker by one start request, WORKER-INFO filtered and limited at the master, and 100 workers lost at once detected
 * and their 900 nodes placed again on the others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@monomyth/testing';
import { SimulatedFleet } from '../../../bench/src/sim-fleet.js';
import { Harness } from './helpers.js';

const WORKERS = 1_000;
const TYPES = 100;
const HEARTBEAT_MS = 500;
const MISSES = 6;

let harness: Harness | undefined;
let fleet: SimulatedFleet | undefined;

afterEach(async () => {
  fleet?.close();
  fleet = undefined;
  await harness?.close();
  harness = undefined;
});

describe('master - 1,000 simulated workers', () => {
  it('scale - all register, 1,000 nodes are placed one per worker, filters answer, 100 lost workers are replaced', async () => {
    harness = await Harness.start({
      heartbeatIntervalMs: HEARTBEAT_MS,
      heartbeatMisses: MISSES,
      startTimeoutMs: 10_000,
      // The nodes the workers run when they register set the desired counts (a master recovering its picture).
      recoveryWindowMs: 600_000,
    });
    const { master } = harness;
    fleet = new SimulatedFleet({
      endpoint: master.endpoint,
      first: 0,
      count: WORKERS,
      typeCount: TYPES,
      heartbeatMs: HEARTBEAT_MS,
    });
    await fleet.start();
    await eventually(
      () => fleet!.registered,
      (count) => count === WORKERS,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(master.workers()).toHaveLength(WORKERS);
    // 8 nodes on each of 1,000 workers, over 100 types: 80 of each, all wanted.
    const recipes = master.recipes().filter((recipe) => recipe.type.startsWith('T'));
    expect(recipes).toHaveLength(TYPES);
    for (const recipe of recipes) expect(recipe).toMatchObject({ desired: 80, running: 80 });

    const client = harness.client(30_000);
    const placed = await client.startNode('PLACE', WORKERS, { timeoutMs: 60_000 });
    expect(placed.failures).toEqual([]);
    expect(new Set(placed.started.map((node) => node.workerId)).size).toBe(WORKERS);
    expect(fleet.startsReceived).toBe(WORKERS);

    // Filtered and limited at the master: 80 workers offer T7.
    const offering = await client.workers({ type: 'T7' });
    expect(offering).toHaveLength(80);
    for (const worker of offering) expect(worker.types).toContain('T7');
    const five = await client.workers({ type: 'T7', limit: 5 });
    expect(five.map((worker) => worker.workerId)).toEqual(
      offering.slice(0, 5).map((worker) => worker.workerId),
    );
    expect(await client.workers({ type: 'NO-SUCH-TYPE' })).toEqual([]);
    expect(await client.workers()).toHaveLength(WORKERS);
    expect(await client.recipes({ limit: 10 })).toHaveLength(10);

    // 100 workers lost at once: each ran 8 nodes and one PLACE node.
    fleet.resetStarts();
    fleet.kill(100);
    await eventually(
      () => master.workers().length,
      (count) => count === WORKERS - 100,
      { timeoutMs: HEARTBEAT_MS * (MISSES + 1) + 10_000, intervalMs: 50 },
    );
    await eventually(
      () => fleet!.startsReceived,
      (count) => count >= 900,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(fleet.startsReceived).toBe(900);
    await eventually(
      () => master.recipes(),
      (all) => all.every((recipe) => recipe.running === recipe.desired && recipe.outstanding === 0),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  }, 120_000);
});
