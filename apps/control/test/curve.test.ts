/**
 * A secured cluster, as an operator runs it: keys made with `monomyth keygen`, monomyth-master with CURVE and key
 * directories, two monomyth-worker processes and the monomyth CLI with their keys, the 4-stage example on a real
 * RabbitMQ. Then what the flags refuse: a CLI without a key or with a worker's key gets nothing back (exit 3), a plain
 * master off loopback does not start without --insecure, a second worker under a live worker's name exits 1, and a
 * controller key added to its directory works after SIGHUP.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '@monomyth/testing';
import type { WorkerInfo } from '@monomyth/mmop';
import { checkOutputs, randomInputs } from '../../../examples/four-stage/src/inputs.js';
import type { Processes } from './processes.js';
import { FOUR_STAGE_SYSTEM, eventually, exited, run, memoryWorkerArgs } from './processes.js';
import { useTestCluster } from './test-cluster.js';

const TYPES = ['TEST-NODE1', 'TEST-NODE2', 'TEST-NODE3', 'TEST-NODE4'];
const INPUT = 'START-to-TEST-NODE1';
const OUTPUT = 'TEST-NODE4-to-END';

const amqpUrl = inject('amqpUrl');
const { processes, amqp, deleteQueues } = useTestCluster();
let keys: string;

/** `monomyth keygen NAME --dir DIR`, as the quick start does it. */
async function keygen(name: string, dir: string): Promise<void> {
  const result = await run('control', ['keygen', name, '--dir', join(keys, dir)]);
  expect(result.code, result.stderr).toBe(0);
}

beforeAll(async () => {
  keys = await mkdtemp(join(tmpdir(), 'monomyth-keys-'));
  await Promise.all([
    keygen('master', 'master'),
    keygen('worker-a', 'workers'),
    keygen('worker-b', 'workers'),
    keygen('ops', 'controllers'),
    keygen('late-ops', 'elsewhere'),
  ]);
});

afterAll(async () => {
  await rm(keys, { recursive: true, force: true });
});

const masterKey = (): string => join(keys, 'master', 'master.key');

function clientFlags(secret: string): string[] {
  return ['--curve-secret-key', secret, '--master-key', masterKey()];
}

const opsFlags = (): string[] => clientFlags(join(keys, 'controllers', 'ops.key_secret'));

async function secureControl<T>(master: string, args: readonly string[]): Promise<T> {
  const result = await run('control', ['--master', master, ...opsFlags(), '--json', ...args]);
  if (result.code !== 0)
    throw new Error(`monomyth ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

function startSecureMaster(): ReturnType<Processes['startMaster']> {
  return processes.startMaster(
    { heartbeatMs: 400, heartbeatMisses: 4 },
    [
      '--curve-secret-key',
      join(keys, 'master', 'master.key_secret'),
      '--workers-keys',
      join(keys, 'workers'),
      '--controllers-keys',
      join(keys, 'controllers'),
    ],
    { pingFlags: opsFlags() },
  );
}

describe('a secured cluster', () => {
  it('curve e2e - master, two workers and the CLI with keys move 2,000 inputs through four stages', async () => {
    await deleteQueues([INPUT, OUTPUT]);
    const channel = await amqp().createChannel();
    const { master } = await startSecureMaster();
    for (const name of ['worker-a', 'worker-b']) {
      processes.start(
        'worker',
        ['--master', master, '--system', FOUR_STAGE_SYSTEM, '--name', name, '--drain-ms', '2000'],
        {
          MONOMYTH_AMQP_URL: amqpUrl,
          // The environment variables, as a service unit would set them.
          MONOMYTH_CURVE_SECRET_KEY: join(keys, 'workers', `${name}.key_secret`),
          MONOMYTH_MASTER_KEY: masterKey(),
        },
      );
    }
    await eventually(
      () => secureControl<WorkerInfo[]>(master, ['workers']),
      (list) => list.length === 2,
    );
    for (const type of TYPES) {
      const result = await secureControl<{ started: unknown[] }>(master, [
        'start',
        type,
        '-n',
        '2',
      ]);
      expect(result.started).toHaveLength(2);
    }

    const inputs = randomInputs(2000);
    await channel.checkQueue(INPUT);
    const outputs: string[] = [];
    const done = new Promise<void>((resolve) => {
      void channel.consume(OUTPUT, (message) => {
        if (!message) return;
        outputs.push(JSON.parse(message.content.toString()) as string);
        channel.ack(message);
        if (outputs.length >= inputs.length) resolve();
      });
    });
    for (const input of inputs) channel.sendToQueue(INPUT, Buffer.from(JSON.stringify(input)));
    await done;
    expect(checkOutputs(inputs, outputs)).toEqual({ missing: 0, unexpected: 0, duplicates: 0 });
    await channel.close();

    // Without a key, or with a worker's key, the CLI gets nothing back: exit 3, and nothing changed.
    const plain = await run('control', [
      '--master',
      master,
      '--timeout-ms',
      '500',
      'stop-worker',
      'worker-a',
    ]);
    expect(plain.code).toBe(3);
    const asWorker = await run('control', [
      '--master',
      master,
      ...clientFlags(join(keys, 'workers', 'worker-a.key_secret')),
      '--timeout-ms',
      '500',
      'stop-node',
      'TEST-NODE1',
    ]);
    expect(asWorker.code).toBe(3);
    const workers = await secureControl<WorkerInfo[]>(master, ['workers']);
    expect(
      workers
        .map((worker) => [worker.workerId, worker.state, worker.nodes.length])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['worker-a', 'active', 4],
      ['worker-b', 'active', 4],
    ]);
  });

  it('curve - a controller key added to its directory works after SIGHUP, without a restart', async () => {
    const { master, child } = await startSecureMaster();
    const late = [
      '--master',
      master,
      ...clientFlags(join(keys, 'elsewhere', 'late-ops.key_secret')),
    ];
    expect((await run('control', [...late, '--timeout-ms', '500', 'ping'])).code).toBe(3);
    await copyFile(
      join(keys, 'elsewhere', 'late-ops.key'),
      join(keys, 'controllers', 'late-ops.key'),
    );
    child.kill('SIGHUP');
    await eventually(
      () => run('control', [...late, '--timeout-ms', '500', 'ping']),
      (result) => result.code === 0,
    );
    await rm(join(keys, 'controllers', 'late-ops.key'));
  });
});

describe('plain MMOP', () => {
  it('bind - a master on a non-loopback address without CURVE exits 2 saying why; --insecure allows it', async () => {
    const port = await freePort();
    const refused = await run('master', ['--bind', `tcp://0.0.0.0:${port}`]);
    expect(refused.code).toBe(2);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/reachable from other hosts.*--insecure/);
    processes.start('master', ['--bind', `tcp://0.0.0.0:${port}`, '--insecure']);
    await eventually(
      () => run('control', ['--master', `tcp://127.0.0.1:${port}`, '--timeout-ms', '500', 'ping']),
      (result) => result.code === 0,
    );
  });

  it('names - a second worker under a live worker name exits 1 with one line; the first keeps its place', async () => {
    const master = `tcp://127.0.0.1:${await freePort()}`;
    processes.start('master', ['--bind', master]);
    const first = processes.start('worker', memoryWorkerArgs(master, 'taken'));
    await eventually(
      () => run('control', ['--master', master, '--json', 'workers']),
      (result) => result.code === 0 && (JSON.parse(result.stdout) as unknown[]).length === 1,
    );
    const second = await run(
      'worker',
      memoryWorkerArgs(master, 'taken', ['--log-level', 'fatal']),
      20_000,
    );
    expect(second.code).toBe(1);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^monomyth-worker: .*worker name taken is taken by a live worker/);
    const listed = await run('control', ['--master', master, '--json', 'workers']);
    const workers = JSON.parse(listed.stdout) as WorkerInfo[];
    expect(workers.map((worker) => [worker.workerId, worker.pid])).toEqual([['taken', first.pid]]);
    first.kill('SIGTERM');
    expect(await exited(first)).toBe(0);
  });
});
