/**
 * monomyth-worker --adapter MODULE, with real processes: the worked example of docs/writing-a-stream-adapter.md runs
 * a worker on RabbitMQ with settings from its environment; an adapter without FailedMessagesCapable gets a clear
 * answer from `monomyth failed`; bad modules are bad usage. And a system written in TypeScript loads through tsx.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WorkerInfo } from '@monomyth/mmop';
import { control, eventually, run } from './processes.js';
import { useTestCluster } from './test-cluster.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const EXAMPLE_ADAPTER = fixture('rabbitmq-adapter-module.mjs');
const BARE_ADAPTER = fixture('bare-adapter-module.mjs');
const SYSTEM = fixture('example-system.js');
const TYPESCRIPT_SYSTEM = fixture('typescript-system.ts');
const INPUT = 'START-to-EXAMPLE';
const OUTPUT = 'EXAMPLE-to-END';

const amqpUrl = inject('amqpUrl');
const { processes, amqp, deleteQueues } = useTestCluster();

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monomyth-adapter-module-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function registered(master: string, name: string): Promise<WorkerInfo> {
  const list = await eventually(
    () => control<WorkerInfo[]>(master, ['workers']),
    (workers) => workers.some((worker) => worker.workerId === name),
    20_000,
  );
  return list.find((worker) => worker.workerId === name) as WorkerInfo;
}

/** Processes on two busy cores: more than the default 30 s. */
const PROCESS_TEST_TIMEOUT_MS = 90_000;

describe('monomyth-worker --adapter', () => {
  it(
    "--adapter - the worked example's module makes the worker's adapter: data flows, and its queues carry the module's settings",
    async () => {
      await deleteQueues([INPUT, OUTPUT, 'EXAMPLE-fail']);
      const { master } = await processes.startMaster();
      const worker = processes.start(
        'worker',
        ['--master', master, '--system', SYSTEM, '--adapter', EXAMPLE_ADAPTER, '--name', 'example'],
        { MONOMYTH_AMQP_URL: '', EXAMPLE_AMQP_URL: amqpUrl, EXAMPLE_MAX_QUEUE_LENGTH: '5' },
      );
      await registered(master, 'example');
      await control(master, ['start', 'EXAMPLE']);
      await eventually(
        () => control<WorkerInfo[]>(master, ['workers']),
        (list) => list[0]?.nodes.length === 1,
      );
      const channel = await amqp().createConfirmChannel();
      try {
        await channel.checkQueue(INPUT);
        channel.sendToQueue(INPUT, Buffer.from(JSON.stringify({ id: 1 })), { persistent: true });
        await channel.waitForConfirms();
        const output = await eventually(
          () => channel.get(OUTPUT, { noAck: true }),
          (message) => message !== false,
        );
        expect(JSON.parse((output as { content: Buffer }).content.toString())).toEqual({
          id: 1,
          by: 'example',
        });
        // The module's own setting: with no node reading it, the input queue keeps only the last 5 of 8.
        await control(master, ['stop-node', 'EXAMPLE']);
        for (let id = 0; id < 8; id++)
          channel.sendToQueue(INPUT, Buffer.from(JSON.stringify({ id })), { persistent: true });
        await channel.waitForConfirms();
        expect((await channel.checkQueue(INPUT)).messageCount).toBe(5);
      } finally {
        await channel.close();
      }
      expect(worker.output()).toContain('example adapter: RabbitMQ with queues capped in length');
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'failed - a worker whose adapter lacks FailedMessagesCapable: 501 NOT_CAPABLE, exit 1, in one line',
    async () => {
      const { master } = await processes.startMaster();
      processes.start('worker', [
        '--master',
        master,
        '--system',
        SYSTEM,
        '--adapter',
        BARE_ADAPTER,
        '--name',
        'bare',
      ]);
      await registered(master, 'bare');
      const result = await run('control', ['--master', master, 'failed', 'EXAMPLE']);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('(501 NOT_CAPABLE)');
      expect(result.stderr).toContain('not FailedMessagesCapable');
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    '--adapter - bad modules and conflicting flags are bad usage: exit 2, one line',
    async () => {
      const noFunction = join(dir, 'no-function.mjs');
      await writeFile(noFunction, 'export default 42;\n');
      const notAnAdapter = join(dir, 'not-an-adapter.mjs');
      await writeFile(notAnAdapter, 'export default () => ({ open() {} });\n');
      const cases: [readonly string[], string][] = [
        [
          ['--adapter', BARE_ADAPTER, '--memory'],
          "option '--adapter <module>' cannot be used with",
        ],
        [['--adapter', join(dir, 'missing.mjs')], 'could not load the adapter module'],
        [
          ['--adapter', noFunction],
          'does not default-export a function that creates a StreamAdapter',
        ],
        [
          ['--adapter', notAnAdapter],
          'is not a StreamAdapter (no close, declareQueue, consume, publish)',
        ],
      ];
      for (const [flags, expected] of cases) {
        const result = await run('worker', ['--system', SYSTEM, ...flags]);
        expect(result.code, flags.join(' ')).toBe(2);
        expect(result.stderr.trim().split('\n'), flags.join(' ')).toHaveLength(1);
        expect(result.stderr, flags.join(' ')).toContain(expected);
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    '--system - a .ts system loads through tsx when the project has it installed',
    async () => {
      const { master } = await processes.startMaster();
      processes.start('worker', [
        '--master',
        master,
        '--system',
        TYPESCRIPT_SYSTEM,
        '--memory',
        '--name',
        'typed',
      ]);
      expect((await registered(master, 'typed')).types).toEqual(['TYPED']);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
