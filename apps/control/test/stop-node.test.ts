/**
 * `monomyth stop-node TYPE -n N` against a real master and worker (in-memory adapter): asking for more than are
 * running stops those there are and says how many were not (stderr, and `notRunning` in --json), exit 0; when none
 * was running, it says so and exits 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerInfo } from '@monomyth/mmop';
import { Processes, control, eventually, memoryWorkerArgs, run } from './processes.js';

const processes = new Processes();
let master: string;
let worker: ReturnType<Processes['start']>;

beforeAll(async () => {
  ({ master } = await processes.startMaster({ heartbeatMs: 300 }));
  worker = processes.start('worker', memoryWorkerArgs(master, 'stop-node-worker'));
  await eventually(
    () => control<WorkerInfo[]>(master, ['workers']),
    (list) => list.length === 1,
  );
});

afterAll(() => processes.killAll());

describe('stop-node', () => {
  it('stop-node -n 5 with 2 running - stops 2, says 3 were not running, exit 0', async () => {
    await control(master, ['start', 'TEST-NODE2', '-n', '2']);
    const result = await run('control', ['--master', master, 'stop-node', 'TEST-NODE2', '-n', '5']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.match(/^stopped\s+TEST-NODE2:/gm)).toHaveLength(2);
    expect(result.stderr).toBe(
      'monomyth: 3 of the 5 TEST-NODE2 nodes asked for were not running\n',
    );

    await control(master, ['start', 'TEST-NODE2', '-n', '2']);
    const json = await run('control', [
      '--master',
      master,
      '--json',
      'stop-node',
      'TEST-NODE2',
      '-n',
      '5',
    ]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as { stopped: unknown[]; notRunning: number };
    expect(body.stopped).toHaveLength(2);
    expect(body.notRunning).toBe(3);
    expect(json.stderr).toContain('3 of the 5 TEST-NODE2 nodes asked for were not running');
  });

  it('stop-node - exactly as many as running: no shortfall line, notRunning 0', async () => {
    await control(master, ['start', 'TEST-NODE3', '-n', '2']);
    const json = await run('control', [
      '--master',
      master,
      '--json',
      'stop-node',
      'TEST-NODE3',
      '-n',
      '2',
    ]);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toMatchObject({ notRunning: 0 });
  });

  it('stop-node - a node by name stops that node; -n does not count as a shortfall', async () => {
    const started = await control<{ started: { nodeName: string }[] }>(master, [
      'start',
      'TEST-NODE4',
    ]);
    const name = started.started[0]!.nodeName;
    const result = await run('control', ['--master', master, 'stop-node', name, '-n', '3']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });

  it('stop-node - none running: says so and exits 1 (the master refusing, or answering with nothing stopped)', async () => {
    // Known type, none wanted, none running: the master refuses.
    const refused = await run('control', [
      '--master',
      master,
      'stop-node',
      'TEST-NODE1',
      '-n',
      '2',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no TEST-NODE1 node is running');

    // Wanted but not running (its worker was lost): the master lowers the count and stops nothing.
    await control(master, ['start', 'TEST-NODE1']);
    worker.kill('SIGKILL');
    await eventually(
      () => control<WorkerInfo[]>(master, ['workers']),
      (list) => list.length === 0,
    );
    const json = await run('control', [
      '--master',
      master,
      '--json',
      'stop-node',
      'TEST-NODE1',
      '-n',
      '2',
    ]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ stopped: [], failures: [], notRunning: 2 });
    expect(json.stderr).toBe(
      'monomyth: no TEST-NODE1 node was running; 2 fewer are wanted all the same\n',
    );
  });
});
