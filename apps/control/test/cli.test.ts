/**
 * The CLI contract, with real processes: monomyth-master, monomyth-worker (in-memory adapter) and monomyth. Every
 * command, --json, each exit code, an unreachable master, and garbage at the master's port.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@monomyth/testing';
import type { RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import {
  FOUR_STAGE_SYSTEM,
  Processes,
  control,
  eventually,
  exited,
  run,
  masterArgs,
  memoryWorkerArgs,
} from './processes.js';

const processes = new Processes();
let master: string;
let masterProcess: ReturnType<Processes['start']>;

beforeAll(async () => {
  ({ master, child: masterProcess } = await processes.startMaster({ heartbeatMs: 300 }, [
    '--log-level',
    'debug',
  ]));
});

afterAll(() => processes.killAll());

describe('monomyth CLI', () => {
  it('cli - ping, workers and recipes answer; --json prints data a script reads', async () => {
    const pong = await control<{ masterEpoch: string; roundTripMs: number }>(master, ['ping']);
    expect(pong.masterEpoch).toMatch(/\S+/);
    expect(pong.roundTripMs).toBeGreaterThan(0);
    expect(await control<WorkerInfo[]>(master, ['workers'])).toEqual([]);
    const recipes = await run('control', ['--master', master, 'recipes']);
    expect(recipes).toMatchObject({
      code: 0,
      stdout: 'No node types are known: no worker has registered yet.\n',
    });
  });

  it('cli - a failure reply exits 1 and says why, with its status', async () => {
    const result = await run('control', ['--master', master, 'start', 'TEST-NODE1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no worker is registered with the master (503 NO_WORKERS)');
    const json = await run('control', ['--master', master, '--json', 'stop-worker', 'nobody']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { status: 404, code: 'UNKNOWN_WORKER', reason: 'no worker nobody is registered' },
    });
  });

  it('cli - bad usage exits 2 with one line', async () => {
    for (const args of [
      ['bogus'],
      ['start'],
      ['start', 'A', '-n', '0'],
      ['stop-node', 'A', '-n', 'x'],
      ['--timeout-ms', '-1', 'ping'],
    ]) {
      const result = await run('control', ['--master', master, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^error: .*\n$/);
    }
    expect((await run('worker', ['--master', master])).code).toBe(2);
    expect((await run('worker', ['--master', master, '--system', FOUR_STAGE_SYSTEM])).code).toBe(2);
    const notSystem = await run('worker', [
      '--memory',
      '--master',
      master,
      '--system',
      '/no/such/system.js',
    ]);
    expect(notSystem.code).toBe(2);
    expect(notSystem.stderr).toContain('could not load the system module /no/such/system.js');
  });

  it('cli - a master stall limit within the liveness window is a usage error (exit 2)', async () => {
    const bind = `tcp://127.0.0.1:${await freePort()}`;
    const result = await run(
      'master',
      masterArgs(bind, { heartbeatMs: 1000, heartbeatMisses: 3 }, ['--stall-limit-ms', '3000']),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid master option stallLimitMs');
    expect(result.stderr).toContain('must be longer than the liveness window');
  });

  it('cli - an unreachable master exits 3 within the timeout, never hanging', async () => {
    const nobody = `tcp://127.0.0.1:${await freePort()}`;
    for (const command of [['ping'], ['workers'], ['start', 'A']]) {
      const result = await run('control', ['--master', nobody, '--timeout-ms', '400', ...command]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`no answer from the master at ${nobody}`);
    }
    for (const command of [
      ['stop-node', 'A'],
      ['stop-worker', 'w'],
    ]) {
      const result = await run('control', ['--master', nobody, '--timeout-ms', '400', ...command]);
      expect(result.code).toBe(3);
      expect(result.ms).toBeLessThan(5000);
    }
  });

  it('cli - a worker registers; nodes start, show in tables and JSON, stop; stop-worker drains it and it exits 0', async () => {
    const worker = processes.start('worker', memoryWorkerArgs(master, 'cli-worker-1'));
    const workers = await eventually(
      () => control<WorkerInfo[]>(master, ['workers']),
      (list) => list.length === 1,
    );
    expect(workers[0]).toMatchObject({
      workerId: 'cli-worker-1',
      types: ['TEST-NODE1', 'TEST-NODE2', 'TEST-NODE3', 'TEST-NODE4'],
    });

    const started = await control<{ started: { nodeName: string; workerId: string }[] }>(master, [
      'start',
      'TEST-NODE1',
      '-n',
      '2',
    ]);
    expect(started.started).toHaveLength(2);
    expect(started.started[0]?.nodeName).toMatch(/^TEST-NODE1:[0-9a-f-]{36}$/);

    const table = await run('control', ['--master', master, 'recipes']);
    expect(table.stdout).toMatch(
      /^TYPE\s+DESIRED\s+RUNNING\s+STARTING\s+COMPLETED\s+FAILED\s+WORKERS\n/,
    );
    expect(table.stdout).toMatch(/TEST-NODE1\s+2\s+2\s+0\s+0\s+0\s+1/);
    const workerTable = await run('control', ['--master', master, 'workers']);
    // STATE, then LAG (the event loop lag its last heartbeat reported), then NODES and CAPACITY.
    expect(workerTable.stdout).toMatch(/cli-worker-1\s+\S+\s+\d+\s+active\s+\d+ ms\s+2\s+64/);

    const stopped = await control<{ stopped: unknown[] }>(master, [
      'stop-node',
      started.started[0]!.nodeName,
    ]);
    expect(stopped.stopped).toHaveLength(1);
    expect(
      (await control<RecipeInfo[]>(master, ['recipes'])).find(
        (recipe) => recipe.type === 'TEST-NODE1',
      ),
    ).toMatchObject({
      desired: 1,
      running: 1,
      completed: 1,
    });

    expect(await control(master, ['stop-worker', 'cli-worker-1', '--drain-ms', '2000'])).toEqual({
      workerId: 'cli-worker-1',
    });
    expect(await exited(worker)).toBe(0);
    expect(await control<WorkerInfo[]>(master, ['workers'])).toEqual([]);
  });

  it('cli - garbage bytes at the master port: it keeps serving', async () => {
    const port = Number(master.split(':').at(-1));
    for (const junk of [
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      '\x00\x01\x02\xff'.repeat(100),
      '\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f',
    ]) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(junk, 'latin1')));
        // The master may wait for the rest of a greeting that never comes: hang up after a moment.
        socket.setTimeout(300, () => socket.destroy());
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
    }
    expect((await run('control', ['--master', master, 'ping'])).code).toBe(0);
    expect(masterProcess.exitCode).toBeNull();
  });

  it('cli - SIGTERM stops the master cleanly (exit 0)', async () => {
    const other = `tcp://127.0.0.1:${await freePort()}`;
    const child = processes.start('master', ['--bind', other]);
    await eventually(
      () => run('control', ['--master', other, '--timeout-ms', '500', 'ping']),
      (result) => result.code === 0,
    );
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(child.output()).toContain('master stopped');
  });
});
