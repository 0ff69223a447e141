/**
 * `monomyth top`: on the built command against a real master and a worker of the 4-stage example (in-memory adapter,
 * whose queue counts the heartbeats carry), it prints each stage with its running/desired nodes and backlog, a rate
 * from the second refresh on, and stops after --iterations; as JSON, one object a line. Its rates: a node's progress
 * since the last refresh, summed per type, counting a node rebuilt (its counter lower) or new from 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freshNodeStatus } from '@monomyth/mmop';
import type { NodeStatus, RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { TopRates, topTable } from '../src/top-command.js';
import { Processes, control, eventually, memoryWorkerArgs, run } from './processes.js';

const processes = new Processes();
afterEach(() => processes.killAll());

const TYPES = ['TEST-NODE1', 'TEST-NODE2', 'TEST-NODE3', 'TEST-NODE4'];

function recipe(type: string, running: number): RecipeInfo {
  return { type, desired: running, running, outstanding: 0, completed: 0, failed: 0, workers: 1 };
}

function worker(nodes: NodeStatus[]): WorkerInfo {
  return {
    workerId: 'w1',
    host: 'h',
    pid: 1,
    capacity: 8,
    state: 'active',
    lastSeenMsAgo: 0,
    types: ['A'],
    nodes,
  };
}

const node = (name: string, processed: number): NodeStatus => ({
  ...freshNodeStatus(name, 'A', 'running'),
  processed,
});

describe('monomyth top', () => {
  it('top rates - progress since the last refresh per type; a rebuilt or new node counts from 0', () => {
    const rates = new TopRates();
    const first = rates.rows([recipe('A', 2)], [worker([node('a1', 100), node('a2', 50)])], 0);
    expect(first[0]).toMatchObject({ type: 'A', rate: null, processed: 150 });
    // a1 +100; a2 rebuilt (its counter went down: 20 is all new); a3 new with 30.
    const second = rates.rows(
      [recipe('A', 3)],
      [worker([node('a1', 200), node('a2', 20), node('a3', 30)])],
      2000,
    );
    expect(second[0]?.rate).toBe((100 + 20 + 30) / 2);
    expect(topTable(second, [worker([])])).toMatch(
      /^1 workers \(1 active\), 1 stages\nSTAGE +RUNNING +RATE\/S/,
    );
  });

  it('top - lists the four stages with running/desired and backlog, a rate from the second refresh, as tables or JSON', async () => {
    // Liveness of 2 s: a worker process starved of CPU on a busy machine is not taken for lost.
    const { master } = await processes.startMaster({ heartbeatMs: 400, heartbeatMisses: 5 });
    processes.start('worker', memoryWorkerArgs(master, 'top-worker'));
    await eventually(
      () => control<unknown[]>(master, ['workers']),
      (workers) => workers.length === 1,
      20_000,
    );
    for (const type of TYPES) await control(master, ['start', type]);

    const json = await run('control', [
      ...['--master', master, '--json', 'top'],
      ...['--iterations', '3', '--interval-ms', '1000'],
    ]);
    expect(json.code, json.stderr).toBe(0);
    const refreshes = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { workers: number; stages: Record<string, unknown>[] });
    expect(refreshes).toHaveLength(3);
    const last = refreshes[2]!;
    expect(last.workers).toBe(1);
    expect(last.stages.map((stage) => stage.type)).toEqual(TYPES);
    for (const stage of last.stages) {
      expect(stage).toMatchObject({ running: 1, desired: 1, rate: 0, processed: 0, failed: 0 });
      // The in-memory adapter reports its queues: by the third refresh a heartbeat has carried them.
      expect(stage.backlog).toEqual({ ready: 0, unacked: 0 });
    }
    expect(refreshes[0]!.stages[0]!.rate).toBeNull();

    const text = await run('control', ['--master', master, 'top', '-n', '1']);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('1 workers (1 active), 4 stages');
    expect(lines[1]).toMatch(
      /^STAGE +RUNNING +RATE\/S +BACKLOG +READY +UNACKED +PROCESSED +FAILED +IN-FLIGHT +P99$/,
    );
    expect(lines.slice(2).map((line) => line.split(/ +/).slice(0, 4))).toEqual(
      TYPES.map((type) => [type, '1/1', '-', '0']),
    );
  });

  it('top - a master that is not there is exit 3; a bad interval is exit 2', async () => {
    const gone = await run('control', [
      '--master',
      'tcp://127.0.0.1:9',
      '--timeout-ms',
      '300',
      'top',
      '-n',
      '1',
    ]);
    expect(gone.code).toBe(3);
    const bad = await run('control', [
      '--master',
      'tcp://127.0.0.1:9',
      'top',
      '--interval-ms',
      '5',
    ]);
    expect(bad.code).toBe(2);
  });
});
