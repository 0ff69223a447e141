/**
 * Stalls, losses and surplus with real processes on a real RabbitMQ: a monomyth-worker whose transform blocks its event
 * loop for seconds is shown `stalled` (heartbeats go on from its link thread) and keeps its node; one blocked past the
 * stall limit is treated as lost; and a worker paused with SIGSTOP past the liveness window (lost: a stopped process
 * stops its threads too) comes back with SIGCONT, registers again, and the surplus is drained so RUNNING returns to
 * DESIRED, which never moves.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import type { RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import type { Processes } from './processes.js';
import { control, eventually, run } from './processes.js';
import { useTestCluster } from './test-cluster.js';

const SPIN_SYSTEM = fileURLToPath(new URL('./fixtures/spin-system.js', import.meta.url));
const INPUT = 'START-to-SPIN';
/** Liveness window: 3 x 200 ms. */
const HEARTBEAT_MS = 200;
const HEARTBEAT_MISSES = 3;
const WINDOW_MS = HEARTBEAT_MS * HEARTBEAT_MISSES;
/** Each test waits out blocks of several seconds and polls through the CLI (a process per poll): give it room. */
const TEST_TIMEOUT_MS = 90_000;

const amqpUrl = inject('amqpUrl');
const { processes, amqp, deleteQueues } = useTestCluster();
const resetQueues = (): Promise<void> => deleteQueues([INPUT, 'SPIN-to-END', 'SPIN-fail']);

/** One input: SPIN keeps the CPU for this many milliseconds. */
async function spin(ms: number): Promise<void> {
  const channel = await amqp().createConfirmChannel();
  // Declared by the SPIN node as it started, with the arguments it chose.
  await channel.checkQueue(INPUT);
  channel.sendToQueue(INPUT, Buffer.from(JSON.stringify(ms)), { persistent: true });
  await channel.waitForConfirms();
  await channel.close();
}

async function startMaster(extra: string[] = []): Promise<string> {
  const { master } = await processes.startMaster(
    { heartbeatMs: HEARTBEAT_MS, heartbeatMisses: HEARTBEAT_MISSES },
    extra,
  );
  return master;
}

function startWorker(master: string, name: string): ReturnType<Processes['start']> {
  return processes.start(
    'worker',
    ['--master', master, '--system', SPIN_SYSTEM, '--name', name, '--drain-ms', '2000'],
    { MONOMYTH_AMQP_URL: amqpUrl },
  );
}

async function workers(master: string): Promise<Map<string, WorkerInfo>> {
  const list = await control<WorkerInfo[]>(master, ['workers']);
  return new Map(list.map((worker) => [worker.workerId, worker]));
}

/** Starts a worker and waits until the master lists it. */
async function registered(master: string, name: string): Promise<ReturnType<Processes['start']>> {
  const worker = startWorker(master, name);
  await eventually(
    () => workers(master),
    (list) => list.has(name),
  );
  return worker;
}

async function startSpin(master: string, count: number): Promise<string[]> {
  const result = await control<{ started: { nodeName: string }[] }>(master, [
    'start',
    'SPIN',
    '-n',
    String(count),
  ]);
  expect(result.started).toHaveLength(count);
  return result.started.map((node) => node.nodeName);
}

describe('stalls and surplus, with processes', () => {
  it(
    'stall - a transform that blocks the event loop far past the liveness window: stalled, keeps its node, recovers',
    async () => {
      await resetQueues();
      const master = await startMaster(['--stall-limit-ms', '60000']);
      const busy = await registered(master, 'stall-busy');
      const [nodeName] = await startSpin(master, 1);
      await registered(master, 'stall-idle');
      const workerId = 'stall-busy';
      // Twenty liveness windows: room for the CLI's own start-up in each check on a busy machine.
      const blockMs = 20 * WINDOW_MS;
      await spin(blockMs);

      const stalled = await eventually(
        () => workers(master),
        (list) => list.get(workerId)?.state === 'stalled',
      );
      const info = stalled.get(workerId)!;
      expect(info.eventLoopLagMs).toBeGreaterThan(WINDOW_MS);
      expect(info.nodes.map((node) => node.name)).toEqual([nodeName]);
      const table = await run('control', ['--master', master, 'workers']);
      expect(table.stdout).toMatch(/STATE\s+LAG/);
      expect(table.stdout).toMatch(/stall-busy\s+\S+\s+\d+\s+stalled\s+\d+(\.\d)? m?s/);
      // Blocked for several liveness windows: still listed, still stalled, and its node was not placed again.
      const deep = await eventually(
        () => workers(master),
        (list) => (list.get(workerId)?.eventLoopLagMs ?? 0) > 3 * WINDOW_MS,
      );
      expect(deep.get(workerId)?.state).toBe('stalled');
      expect([...deep.values()].reduce((sum, worker) => sum + worker.nodes.length, 0)).toBe(1);

      const recovered = await eventually(
        () => workers(master),
        (list) => list.get(workerId)?.state === 'active',
        blockMs + 10_000,
      );
      expect(recovered.get(workerId)?.nodes.map((node) => node.name)).toEqual([nodeName]);
      const recipes = await control<RecipeInfo[]>(master, ['recipes']);
      expect(recipes).toEqual([expect.objectContaining({ type: 'SPIN', desired: 1, running: 1 })]);
      // The worker's log names the node and the time blocked: while blocked (the link thread) and after (the logger).
      const output = busy.output();
      expect(output).toContain('the event loop has been blocked for');
      expect(output).toMatch(
        /the event loop was blocked for \d+ ms; nodes with a batch in flight: SPIN:/,
      );
      expect(output).toContain(nodeName);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stall - blocked past the stall limit: treated as lost, its node placed elsewhere; the counts converge after',
    async () => {
      await resetQueues();
      const master = await startMaster(['--stall-limit-ms', String(3 * WINDOW_MS)]);
      await registered(master, 'limit-busy');
      await startSpin(master, 1);
      await registered(master, 'limit-idle');
      const blockMs = 15 * WINDOW_MS;
      await spin(blockMs);
      // Past the stall limit the node is placed on the worker that answers, while the other is still blocked.
      await eventually(
        () => workers(master),
        (list) => list.get('limit-idle')?.nodes.length === 1,
        blockMs,
      );
      // Once the loop answers again: one SPIN node in all, as desired.
      const settled = await eventually(
        () => workers(master),
        (list) =>
          list.get('limit-busy')?.state === 'active' &&
          [...list.values()].reduce((sum, worker) => sum + worker.nodes.length, 0) === 1,
        blockMs + 15_000,
      );
      expect(settled.get('limit-idle')?.nodes).toHaveLength(1);
      const recipes = await control<RecipeInfo[]>(master, ['recipes']);
      expect(recipes).toEqual([expect.objectContaining({ type: 'SPIN', desired: 1, running: 1 })]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'surplus - a worker paused (SIGSTOP) past the liveness window is lost; resumed (SIGCONT), its surplus is drained',
    async () => {
      await resetQueues();
      const master = await startMaster();
      const paused = await registered(master, 'pause-a');
      const original = (await startSpin(master, 2)).sort();
      await registered(master, 'pause-b');

      paused.kill('SIGSTOP');
      try {
        // Lost, and its nodes placed on the other worker.
        const lost = await eventually(
          () => workers(master),
          (list) => !list.has('pause-a') && list.get('pause-b')?.nodes.length === 2,
        );
        const replacements = lost
          .get('pause-b')!
          .nodes.map((node) => node.name)
          .sort();
        expect(replacements).not.toEqual(original);
      } finally {
        paused.kill('SIGCONT');
      }
      // Back: it registers again with the nodes it never stopped; the newest (the replacements) are drained.
      const settled = await eventually(
        () => workers(master),
        (list) =>
          list.get('pause-a')?.nodes.length === 2 && list.get('pause-b')?.nodes.length === 0,
        20_000,
      );
      expect(
        settled
          .get('pause-a')!
          .nodes.map((node) => node.name)
          .sort(),
      ).toEqual(original);
      const recipes = await control<RecipeInfo[]>(master, ['recipes']);
      // DESIRED never moved: the returning worker's READY did not raise it.
      expect(recipes).toEqual([expect.objectContaining({ type: 'SPIN', desired: 2, running: 2 })]);
      expect(paused.output()).toMatch(/registering again|registered again/);
    },
    TEST_TIMEOUT_MS,
  );
});
