/**
 * End to end, as an operator runs it: monomyth-master and two monomyth-worker processes on a real RabbitMQ, nodes
 * started with the monomyth CLI, the 4-stage example's inputs put on its first queue and every output checked. Then
 * the failures an operator meets: a worker killed with SIGKILL, a worker stopped on purpose, the master killed and
 * restarted, all while data flows.
 */
import { describe, expect, inject, it } from 'vitest';
import { RabbitMqServer } from '@monomyth/testing';
import type { RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { checkOutputs, randomInputs } from '../../../examples/four-stage/src/inputs.js';
import type { Processes } from './processes.js';
import { FOUR_STAGE_SYSTEM, control, eventually, exited, masterArgs } from './processes.js';
import { useTestCluster } from './test-cluster.js';

const TYPES = ['TEST-NODE1', 'TEST-NODE2', 'TEST-NODE3', 'TEST-NODE4'];
const INPUT = 'START-to-TEST-NODE1';
const OUTPUT = 'TEST-NODE4-to-END';
const QUEUES = [
  INPUT,
  'TEST-NODE1-to-TEST-NODE2',
  'TEST-NODE2-to-TEST-NODE3',
  'TEST-NODE3-to-TEST-NODE4',
  OUTPUT,
  ...TYPES.map((type) => `${type}-fail`),
];
/**
 * Liveness in these tests: a worker silent for 4 x 400 ms is lost. Short enough to watch a loss happen, long enough
 * that a worker process starved of CPU on a busy two-core machine is not taken for a dead one.
 */
const HEARTBEAT_MS = 400;
const HEARTBEAT_MISSES = 4;
const LIVENESS = { heartbeatMs: HEARTBEAT_MS, heartbeatMisses: HEARTBEAT_MISSES };

const amqpUrl = inject('amqpUrl');
const { processes, amqp, deleteQueues } = useTestCluster();

async function publishInputs(inputs: readonly string[]): Promise<void> {
  const channel = await amqp().createConfirmChannel();
  // The nodes declared their queues as they started, with the arguments they chose: check, do not redeclare.
  await channel.checkQueue(INPUT);
  for (const input of inputs)
    channel.sendToQueue(INPUT, Buffer.from(JSON.stringify(input)), { persistent: true });
  await channel.waitForConfirms();
  await channel.close();
}

/**
 * Reads outputs until `count` have arrived (or the deadline passes); returns them all, with any that arrived before the
 * consumer was cancelled. It reads with automatic acknowledgement: the nodes' queues are quorum queues, and RabbitMQ
 * can drop acks a consumer sends just before closing its channel on a quorum queue (rabbitmq-server#10327), putting
 * those messages back as if the pipeline had made them twice. Nothing here needs the reader's own at-least-once.
 */
async function readOutputs(
  count: number,
  timeoutMs = 60_000,
  onEach?: (received: number) => void,
): Promise<string[]> {
  const channel = await amqp().createChannel();
  await channel.checkQueue(OUTPUT);
  const outputs: string[] = [];
  let consumerTag: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${outputs.length} of ${count} outputs within ${timeoutMs} ms`)),
      timeoutMs,
    );
    void channel
      .consume(
        OUTPUT,
        (message) => {
          if (!message) return;
          outputs.push(JSON.parse(message.content.toString()) as string);
          onEach?.(outputs.length);
          if (outputs.length === count) {
            clearTimeout(timer);
            resolve();
          }
        },
        { noAck: true },
      )
      .then((reply) => (consumerTag = reply.consumerTag), reject);
  });
  if (consumerTag !== undefined) await channel.cancel(consumerTag);
  await channel.close();
  return outputs;
}

/** After the expected count, anything more that arrives within `quietMs` is a duplicate too. */
async function lateOutputs(quietMs: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, quietMs));
  const channel = await amqp().createChannel();
  const { messageCount } = await channel.checkQueue(OUTPUT);
  await channel.close();
  return messageCount;
}

async function startCluster(): Promise<{
  master: string;
  masterProcess: ReturnType<Processes['start']>;
}> {
  const { master, child: masterProcess } = await processes.startMaster(LIVENESS);
  return { master, masterProcess };
}

function startWorker(master: string, name: string): ReturnType<Processes['start']> {
  return processes.start(
    'worker',
    ['--master', master, '--system', FOUR_STAGE_SYSTEM, '--name', name, '--drain-ms', '5000'],
    {
      MONOMYTH_AMQP_URL: amqpUrl,
    },
  );
}

async function startNodes(master: string, perType: number): Promise<void> {
  for (const type of TYPES) {
    const result = await control<{ started: unknown[] }>(master, [
      'start',
      type,
      '-n',
      String(perType),
    ]);
    expect(result.started).toHaveLength(perType);
  }
}

/** A master, two workers named `first` and `second`, two nodes of each type started: the cluster every test begins with. */
async function runningCluster(
  first: string,
  second: string,
): Promise<{
  master: string;
  masterProcess: ReturnType<Processes['start']>;
  workers: [ReturnType<Processes['start']>, ReturnType<Processes['start']>];
}> {
  await deleteQueues(QUEUES);
  const { master, masterProcess } = await startCluster();
  const workers: [ReturnType<Processes['start']>, ReturnType<Processes['start']>] = [
    startWorker(master, first),
    startWorker(master, second),
  ];
  // Two worker processes starting beside the rest of the suite on two busy cores: allow them 20 s to register.
  await eventually(
    () => control<WorkerInfo[]>(master, ['workers']),
    (list) => list.length === 2,
    20_000,
  );
  await startNodes(master, 2);
  return { master, masterProcess, workers };
}

describe('end to end on RabbitMQ', () => {
  it('e2e - master, two workers and the CLI move 10,000 inputs through four stages, every output right', async () => {
    const { master } = await runningCluster('e2e-a', 'e2e-b');

    const inputs = randomInputs(10_000);
    const reading = readOutputs(inputs.length);
    await publishInputs(inputs);
    const outputs = await reading;
    expect(checkOutputs(inputs, outputs)).toEqual({ missing: 0, unexpected: 0, duplicates: 0 });
    expect(await lateOutputs(200)).toBe(0);

    const workers = await eventually(
      () => control<WorkerInfo[]>(master, ['workers']),
      (list) =>
        list.reduce(
          (sum, worker) => sum + worker.nodes.reduce((s, node) => s + node.processed, 0),
          0,
        ) ===
        4 * inputs.length,
    );
    for (const worker of workers) expect(worker.nodes).toHaveLength(4);
  });

  it('e2e - a worker killed with SIGKILL mid-run: lost within the liveness window, its nodes move, nothing is missing', async () => {
    const {
      master,
      workers: [, victim],
    } = await runningCluster('e2e-survivor', 'e2e-victim');

    const inputs = randomInputs(4000);
    let noticed: Promise<{ after: number; workers: WorkerInfo[] }> | undefined;
    const reading = readOutputs(inputs.length, 60_000, (received) => {
      if (received !== 1000 || noticed) return;
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      // Watch from the moment of the kill: when does the master stop listing the victim?
      noticed = eventually(
        () => control<WorkerInfo[]>(master, ['workers']),
        (workers) => workers.length === 1,
      ).then((workers) => ({ after: Date.now() - killedAt, workers }));
    });
    await publishInputs(inputs);
    const outputs = await reading;
    const { after, workers: lost } = await noticed!;
    // Lost once 4 heartbeats of 400 ms are missed, checked every 400 ms: within 2 s; the rest is the CLI's own
    // start-up for each poll.
    expect(after).toBeLessThan(6000);
    expect(lost[0]?.workerId).toBe('e2e-survivor');
    const recipes = await eventually(
      () => control<RecipeInfo[]>(master, ['recipes']),
      (list) => list.every((recipe) => recipe.running === 2),
    );
    expect(recipes.map((recipe) => recipe.desired)).toEqual([2, 2, 2, 2]);

    const late = await lateOutputs(500);
    const result = checkOutputs(inputs, [...outputs, ...(late > 0 ? await readOutputs(late) : [])]);
    expect(result.missing).toBe(0);
    expect(result.unexpected).toBe(0);
    // Duplicates come only from what the killed worker held unacknowledged: at most its prefetch per node.
    expect(result.duplicates).toBeLessThanOrEqual(4 * 2 * 200);
  });

  it('e2e - stop-worker mid-run: it drains and leaves, and nothing is delivered twice', async () => {
    const {
      master,
      workers: [, leaving],
    } = await runningCluster('e2e-stays', 'e2e-leaves');

    const inputs = randomInputs(4000);
    let stopping: Promise<unknown> | undefined;
    const reading = readOutputs(inputs.length, 60_000, (received) => {
      if (received === 1000)
        stopping = control(master, ['stop-worker', 'e2e-leaves', '--drain-ms', '5000']);
    });
    await publishInputs(inputs);
    const outputs = await reading;
    expect(await stopping).toEqual({ workerId: 'e2e-leaves' });
    expect(await exited(leaving)).toBe(0);
    expect(await lateOutputs(500)).toBe(0);
    expect(checkOutputs(inputs, outputs)).toEqual({ missing: 0, unexpected: 0, duplicates: 0 });
    const workers = await control<WorkerInfo[]>(master, ['workers']);
    expect(workers.map((worker) => worker.workerId)).toEqual(['e2e-stays']);
  });

  it('e2e - the master killed and restarted mid-run: data keeps flowing, workers register again, the picture is right', async () => {
    const { master, masterProcess } = await runningCluster('e2e-one', 'e2e-two');

    masterProcess.kill('SIGKILL');
    await exited(masterProcess);
    // With no master at all, the nodes keep moving data.
    const inputs = randomInputs(3000);
    const reading = readOutputs(inputs.length);
    await publishInputs(inputs);
    const outputs = await reading;
    expect(checkOutputs(inputs, outputs)).toEqual({ missing: 0, unexpected: 0, duplicates: 0 });

    processes.start('master', masterArgs(master, LIVENESS));
    const workers = await eventually(
      () => control<WorkerInfo[]>(master, ['workers']),
      (list) => list.length === 2 && list.every((worker) => worker.nodes.length === 4),
      20_000,
    );
    expect(workers.map((worker) => worker.workerId).sort()).toEqual(['e2e-one', 'e2e-two']);
    const recipes = await control<RecipeInfo[]>(master, ['recipes']);
    expect(recipes.map((recipe) => [recipe.type, recipe.desired, recipe.running])).toEqual(
      TYPES.map((type) => [type, 2, 2]),
    );
  });

  it('e2e - a broker gone for good: the worker gives up after its reconnect attempts, leaves, and exits 1', async () => {
    const broker = await RabbitMqServer.start();
    try {
      const { master } = await startCluster();
      const worker = processes.start(
        'worker',
        [
          '--master',
          master,
          '--system',
          FOUR_STAGE_SYSTEM,
          '--name',
          'e2e-stranded',
          '--reconnect-attempts',
          '2',
        ],
        { MONOMYTH_AMQP_URL: broker.url },
      );
      await eventually(
        () => control<WorkerInfo[]>(master, ['workers']),
        (workers) => workers.length === 1,
      );
      await control(master, ['start', 'TEST-NODE1']);
      await broker.kill();
      expect(await exited(worker)).toBe(1);
      expect(worker.output()).toContain('the stream adapter gave up; the worker leaves');
      expect(worker.output()).toContain('amqp://guest:***@127.0.0.1');
      // It said BYE on its way out: the master no longer lists it.
      expect(await control<WorkerInfo[]>(master, ['workers'])).toEqual([]);
    } finally {
      await broker.stop();
    }
  });
});
