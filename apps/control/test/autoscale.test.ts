/**
 * Autoscaling with real processes on a real RabbitMQ: a backlog on a slow stage's queue scales it from 1 node to its
 * max, and back to its min once drained, with every output right and none missing; the policy, set at run time with
 * `monomyth autoscale`, is shown by `monomyth recipes` and survives a master restart with --state.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RecipeInfo } from '@monomyth/mmop';
import { control, eventually, masterArgs, run } from './processes.js';
import { useTestCluster } from './test-cluster.js';

const SLOW_SYSTEM = fileURLToPath(new URL('./fixtures/slow-system.js', import.meta.url));
const INPUT = 'START-to-SLOW';
const OUTPUT = 'SLOW-to-END';
const MESSAGES = 3000;
const LIVENESS = { heartbeatMs: 200, heartbeatMisses: 3 };

const amqpUrl = inject('amqpUrl');
const { processes, amqp, deleteQueues } = useTestCluster();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monomyth-autoscale-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function slow(master: string): Promise<RecipeInfo> {
  const recipes = await control<RecipeInfo[]>(master, ['recipes']);
  const info = recipes.find((recipe) => recipe.type === 'SLOW');
  if (!info) throw new Error(`no SLOW in ${JSON.stringify(recipes)}`);
  return info;
}

async function publish(values: readonly number[]): Promise<void> {
  const channel = await amqp().createConfirmChannel();
  await channel.checkQueue(INPUT);
  for (const value of values)
    channel.sendToQueue(INPUT, Buffer.from(JSON.stringify(value)), { persistent: true });
  await channel.waitForConfirms();
  await channel.close();
}

/** Reads the output queue (acknowledged automatically) until `count` messages have come, or `timeoutMs` passed. */
async function readOutputs(count: number, timeoutMs: number): Promise<number[]> {
  const channel = await amqp().createChannel();
  const seen: number[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void channel.consume(
      OUTPUT,
      (message) => {
        if (!message) return;
        seen.push(JSON.parse(message.content.toString()) as number);
        if (seen.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
      { noAck: true },
    );
  });
  await channel.close();
  return seen;
}

describe('autoscale, with processes', () => {
  it('a backlog scales SLOW from 1 to max and back to min; nothing missing; the policy survives a restart', async () => {
    await deleteQueues([INPUT, OUTPUT, 'SLOW-fail']);
    const state = join(dir, 'state.json');
    const { master, child: firstMaster } = await processes.startMaster(LIVENESS, [
      '--state',
      state,
    ]);
    for (const name of ['scale-a', 'scale-b'])
      processes.start(
        'worker',
        ['--master', master, '--system', SLOW_SYSTEM, '--name', name, '--drain-ms', '5000'],
        { MONOMYTH_AMQP_URL: amqpUrl },
      );
    await eventually(
      () => slow(master).catch(() => undefined),
      (info) => info?.workers === 2,
    );
    await control(master, ['start', 'SLOW']);
    const set = await control<{ policy: unknown; desired: number }>(master, [
      'autoscale',
      'SLOW',
      '--min',
      '1',
      '--max',
      '4',
      '--target-backlog',
      '100',
      '--up-after-ms',
      '600',
      '--down-after-ms',
      '1000',
    ]);
    expect(set).toMatchObject({ desired: 1 });

    const values = Array.from({ length: MESSAGES }, (_, i) => i);
    const started = Date.now();
    await publish(values);
    const outputs = readOutputs(MESSAGES, 45_000);
    const up = await eventually(
      () => slow(master),
      (info) => info.running === 4,
      20_000,
    );
    const upMs = Date.now() - started;
    expect(up.desired).toBe(4);
    expect(up.lastDecision).toMatchObject({ to: 4, placed: true });
    expect(up.lastDecision?.backlog).toBeGreaterThan(300);
    const table = await run('control', ['--master', master, 'recipes']);
    expect(table.stdout).toMatch(/AUTOSCALE\s+LAST DECISION/);
    expect(table.stdout).toMatch(/SLOW\s.*1-4 @100\s+\d->4 backlog \d+/);

    const seen = await outputs;
    const expected = new Set(values.map((value) => value * 2));
    const got = new Set(seen);
    const missing = [...expected].filter((value) => !got.has(value));
    expect(missing).toEqual([]);
    expect(seen.every((value) => expected.has(value))).toBe(true);

    const down = await eventually(
      () => slow(master),
      (info) => info.desired === 1 && info.running === 1,
      25_000,
    );
    const downMs = Date.now() - started;
    expect(down.lastDecision).toMatchObject({ from: 2, to: 1, backlog: 0 });
    // Drained one at a time: no message went to the fail queue, and the input queue is empty.
    const channel = await amqp().createChannel();
    expect((await channel.checkQueue('SLOW-fail')).messageCount).toBe(0);
    expect((await channel.checkQueue(INPUT)).messageCount).toBe(0);
    await channel.close();
    console.log(
      JSON.stringify({ messages: MESSAGES, upMs, downMs, duplicates: seen.length - got.size }),
    );

    // The master goes and comes back on the same endpoint with the same state file: the policy set at run time
    // is still there, and so is the desired count.
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({
      desired: { SLOW: 1 },
      autoscale: { SLOW: { min: 1, max: 4, targetBacklogPerNode: 100 } },
    });
    firstMaster.kill('SIGTERM');
    await new Promise((resolve) => firstMaster.once('exit', resolve));
    processes.start('master', masterArgs(master, LIVENESS, ['--state', state]));
    const back = await eventually(
      () => slow(master).catch(() => undefined),
      (info) => info?.running === 1 && info.workers === 2,
      20_000,
    );
    expect(back).toMatchObject({
      desired: 1,
      autoscale: { min: 1, max: 4, targetBacklogPerNode: 100 },
    });
  }, 90_000);
});
