/**
 * Autoscaling with real processes on a real RabbitMQ, on the 4-stage example's shape: a backlog of 20,000 inputs
 * scales the slow third stage from 1 node to its max, and back to its min once drained, one drained node at a time,
 * with every output right and none missing; the steps down are weighed against the measured processing rate (their
 * reason says so); the policy, set at run time with `monomyth autoscale`, is shown by `monomyth recipes` and survives
 * a master restart with --state.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RecipeInfo } from '@monomyth/mmop';
import { checkOutputs, randomInputs } from '../../../examples/four-stage/src/inputs.js';
import { control, eventually, masterArgs, run } from './processes.js';
import { useTestCluster } from './test-cluster.js';

const SYSTEM = fileURLToPath(new URL('./fixtures/four-stage-slow-system.js', import.meta.url));
const STAGES = ['SCALE-1', 'SCALE-2', 'SCALE-3', 'SCALE-4'];
const SLOW = 'SCALE-3';
const INPUT = 'START-to-SCALE-1';
const OUTPUT = 'SCALE-4-to-END';
const QUEUES = [
  INPUT,
  'SCALE-1-to-SCALE-2',
  'SCALE-2-to-SCALE-3',
  'SCALE-3-to-SCALE-4',
  OUTPUT,
  ...STAGES.map((stage) => `${stage}-fail`),
];
const MESSAGES = 20_000;
const MAX = 4;
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

async function recipes(master: string): Promise<Map<string, RecipeInfo>> {
  const infos = await control<RecipeInfo[]>(master, ['recipes']);
  return new Map(infos.map((info) => [info.type, info]));
}

async function slow(master: string): Promise<RecipeInfo> {
  const info = (await recipes(master)).get(SLOW);
  if (!info) throw new Error(`no ${SLOW} in the master's recipes`);
  return info;
}

async function publish(values: readonly string[], queue = INPUT): Promise<void> {
  const channel = await amqp().createConfirmChannel();
  await channel.checkQueue(queue);
  for (const value of values)
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(value)), { persistent: true });
  await channel.waitForConfirms();
  await channel.close();
}

/** Reads `queue` (acknowledged automatically) until `count` messages have come, or `timeoutMs` passed. */
async function readOutputs(count: number, timeoutMs: number, queue = OUTPUT): Promise<string[]> {
  const channel = await amqp().createChannel();
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void channel.consume(
      queue,
      (message) => {
        if (!message) return;
        seen.push(JSON.parse(message.content.toString()) as string);
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

/** A seeded generator, so a failing run can be run again with the same inputs. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('autoscale, with processes', () => {
  it('20,000 inputs on the 4-stage chain scale its slow stage from 1 to max and back to min; every output right; the policy survives a restart', async () => {
    await deleteQueues(QUEUES);
    const state = join(dir, 'state.json');
    const { master, child: firstMaster } = await processes.startMaster(LIVENESS, [
      '--state',
      state,
    ]);
    for (const name of ['scale-a', 'scale-b'])
      processes.start(
        'worker',
        ['--master', master, '--system', SYSTEM, '--name', name, '--drain-ms', '5000'],
        { MONOMYTH_AMQP_URL: amqpUrl },
      );
    await eventually(
      () => slow(master).catch(() => undefined),
      (info) => info?.workers === 2,
    );
    for (const stage of STAGES) await control(master, ['start', stage]);
    await eventually(
      () => recipes(master),
      (infos) => STAGES.every((stage) => infos.get(stage)?.running === 1),
    );
    const set = await control<{ policy: unknown; desired: number }>(master, [
      'autoscale',
      SLOW,
      '--min',
      '1',
      '--max',
      String(MAX),
      '--target-backlog',
      '200',
      '--up-after-ms',
      '600',
      '--down-after-ms',
      '1000',
    ]);
    expect(set).toMatchObject({ desired: 1 });

    const inputs = randomInputs(MESSAGES, seeded(15));
    const started = Date.now();
    await publish(inputs);
    const publishMs = Date.now() - started;
    const outputs = readOutputs(MESSAGES, 60_000);
    const up = await eventually(
      () => slow(master),
      (info) => info.running === MAX,
      30_000,
    );
    const upMs = Date.now() - started;
    expect(up.desired).toBe(MAX);
    // From 1, in one step or more as the backlog builds up behind the slow stage; ceil(backlog / 200) asked for MAX.
    expect(up.lastDecision).toMatchObject({ to: MAX, placed: true });
    expect(up.lastDecision?.backlog).toBeGreaterThan((MAX - 1) * 200);
    const table = await run('control', ['--master', master, 'recipes']);
    expect(table.stdout).toMatch(/AUTOSCALE\s+LAST DECISION/);
    expect(table.stdout).toMatch(
      new RegExp(`${SLOW}\\s.*1-${MAX} @200\\s+\\d->${MAX} backlog \\d+`),
    );

    const seen = await outputs;
    const drainedMs = Date.now() - started;
    const check = checkOutputs(inputs, seen);
    expect({ outputs: seen.length, missing: check.missing, unexpected: check.unexpected }).toEqual({
      outputs: MESSAGES,
      missing: 0,
      unexpected: 0,
    });

    const down = await eventually(
      () => slow(master),
      (info) => info.desired === 1 && info.running === 1,
      25_000,
    );
    const downMs = Date.now() - started;
    // The decisions as the master logged them, to read when a figure below is off.
    const decisions = firstMaster
      .output()
      .split('\n')
      .filter((line) => line.includes('"autoscale: '))
      .map((line) => {
        const { time, msg, from, to, desired, backlog, reason } = JSON.parse(line) as Record<
          string,
          unknown
        >;
        return { ms: Number(time) - started, msg, from, to, desired, backlog, reason };
      });
    console.log(decisions);
    // One drained node at a time, each step weighed against the rate: the nodes left keep up with what arrives.
    expect(down.lastDecision).toMatchObject({ from: 2, to: 1, backlog: 0 });
    expect(down.lastDecision?.reason).toMatch(
      /1 node at [\d.]+\/s each: [\d.]+\/s, [\d.]+\/s arriving/,
    );
    const channel = await amqp().createChannel();
    for (const queue of QUEUES.filter((name) => name !== OUTPUT))
      expect({ queue, messages: (await channel.checkQueue(queue)).messageCount }).toEqual({
        queue,
        messages: 0,
      });
    await channel.close();
    console.log(
      JSON.stringify({
        messages: MESSAGES,
        publishMs,
        upMs,
        drainedMs,
        downMs,
        duplicates: check.duplicates,
        lastDecision: down.lastDecision,
      }),
    );

    // The master goes and comes back on the same endpoint with the same state file: the policy set at run time
    // is still there, and so is the desired count.
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({
      desired: { [SLOW]: 1 },
      autoscale: { [SLOW]: { min: 1, max: MAX, targetBacklogPerNode: 200 } },
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
      autoscale: { min: 1, max: MAX, targetBacklogPerNode: 200 },
    });
  }, 120_000);

  it('a type scaled down to no node at all is scaled up again by a backlog on its source queue, and back to none', async () => {
    const source = 'SCALE-2-to-SCALE-3';
    const dest = 'SCALE-3-to-SCALE-4';
    await deleteQueues(QUEUES);
    const { master } = await processes.startMaster(LIVENESS);
    processes.start(
      'worker',
      ['--master', master, '--system', SYSTEM, '--name', 'zero-a', '--drain-ms', '5000'],
      { MONOMYTH_AMQP_URL: amqpUrl },
    );
    await eventually(
      () => slow(master).catch(() => undefined),
      (info) => info?.workers === 1,
    );
    // A node declares the type's queues; the policy then takes the type down to none.
    await control(master, ['start', SLOW]);
    await eventually(
      () => slow(master),
      (info) => info.running === 1,
    );
    await control(master, [
      'autoscale',
      SLOW,
      '--min',
      '0',
      '--max',
      '2',
      '--target-backlog',
      '200',
      '--up-after-ms',
      '300',
      '--down-after-ms',
      '500',
    ]);
    const none = await eventually(
      () => slow(master),
      (info) => info.desired === 0 && info.running === 0,
      15_000,
    );
    expect(none.lastDecision).toMatchObject({ from: 1, to: 0 });

    // No node reads the queue now: the worker reports its count as an idle type's, and the backlog brings nodes back.
    const inputs = Array.from({ length: 600 }, (_, i) => String(1000 + i));
    await publish(inputs, source);
    const outputs = readOutputs(inputs.length, 30_000, dest);
    const up = await eventually(
      () => slow(master),
      (info) => info.running >= 1,
      15_000,
    );
    expect(up.lastDecision).toMatchObject({ from: 0, to: 2, placed: true });
    expect(up.lastDecision?.backlog).toBeGreaterThan(200);
    expect((await outputs).sort()).toEqual(
      inputs.map((digits) => String(BigInt(digits) * 7n)).sort(),
    );
    await eventually(
      () => slow(master),
      (info) => info.desired === 0 && info.running === 0,
      20_000,
    );
  }, 90_000);
});
