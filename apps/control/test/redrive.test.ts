/**
 * Failed messages end to end, as an operator meets them: monomyth-master and monomyth-worker processes on a real
 * RabbitMQ, a system that fails some inputs into CHECK-fail, `monomyth failed` to look at them, the fixed system
 * deployed by restarting the worker with a new system module, `monomyth redrive` to send them back, and every one
 * arriving at END; then `purge-failed`, and the failures an operator can meet (unknown type, no --yes).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import type { FailQueueResult } from '@monomyth/control';
import type { WorkerInfo } from '@monomyth/mmop';
import type { Processes } from './processes.js';
import { eventually as soon } from '@monomyth/testing';
import { control, eventually, exited, run } from './processes.js';
import { useTestCluster } from './test-cluster.js';

const STRICT = fileURLToPath(new URL('./fixtures/redrive-strict-system.js', import.meta.url));
const FIXED = fileURLToPath(new URL('./fixtures/redrive-fixed-system.js', import.meta.url));
const INPUT = 'START-to-CHECK';
const OUTPUT = 'CHECK-to-END';
const FAIL = 'CHECK-fail';

const amqpUrl = inject('amqpUrl');
const { processes, amqp, deleteQueues } = useTestCluster();

interface Input {
  readonly id: number;
  readonly poison: boolean;
}
interface Output {
  readonly id: number;
  readonly by: string;
}

function startWorker(master: string, system: string, name: string): ReturnType<Processes['start']> {
  return processes.start(
    'worker',
    ['--master', master, '--system', system, '--name', name, '--drain-ms', '5000'],
    { MONOMYTH_AMQP_URL: amqpUrl },
  );
}

/** Waits until `name` is registered and runs a CHECK node. */
async function checkRunsOn(master: string, name: string): Promise<void> {
  await eventually(
    () => control<WorkerInfo[]>(master, ['workers']),
    (list) => list.some((worker) => worker.workerId === name && worker.nodes.length === 1),
    20_000,
  );
}

async function publish(queue: string, inputs: readonly unknown[]): Promise<void> {
  const channel = await amqp().createConfirmChannel();
  await channel.checkQueue(queue);
  for (const input of inputs)
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(input)), { persistent: true });
  await channel.waitForConfirms();
  await channel.close();
}

/** Reads `count` outputs with automatic acknowledgement (see e2e.test.ts for why), failing past the deadline. */
async function readOutputs(count: number, timeoutMs = 30_000): Promise<Output[]> {
  const channel = await amqp().createChannel();
  await channel.checkQueue(OUTPUT);
  const outputs: Output[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${outputs.length} of ${count} outputs within ${timeoutMs} ms`)),
        timeoutMs,
      );
      void channel.consume(
        OUTPUT,
        (message) => {
          if (!message) return;
          outputs.push(JSON.parse(message.content.toString()) as Output);
          if (outputs.length === count) {
            clearTimeout(timer);
            resolve();
          }
        },
        { noAck: true },
      );
    });
  } finally {
    await channel.close();
  }
  return outputs;
}

function failed(master: string, extra: readonly string[] = []): Promise<FailQueueResult> {
  return control<FailQueueResult>(master, ['failed', 'CHECK', ...extra]);
}

/**
 * The ids in `queue`, read with automatic acknowledgement until `expected` different ones have come (and a moment
 * more, for duplicates), failing past 30 s.
 */
async function drainIds(queue: string, expected: number): Promise<number[]> {
  const channel = await amqp().createChannel();
  const ids: number[] = [];
  const seen = new Set<number>();
  try {
    await new Promise<void>((resolve, reject) => {
      let quiet: NodeJS.Timeout | undefined;
      const deadline = setTimeout(
        () => reject(new Error(`${seen.size} of ${expected} ids within 30 s`)),
        30_000,
      );
      void channel.consume(
        queue,
        (message) => {
          if (!message) return;
          ids.push((JSON.parse(message.content.toString()) as { id: number }).id);
          seen.add(ids[ids.length - 1] as number);
          // Every id there: wait a little for duplicates, then stop.
          if (seen.size >= expected) {
            clearTimeout(quiet);
            quiet = setTimeout(() => {
              clearTimeout(deadline);
              resolve();
            }, 300);
          }
        },
        { noAck: true },
      );
    });
  } finally {
    await channel.close();
  }
  return ids;
}

/** Processes on two busy cores: more than the default 30 s. */
const PROCESS_TEST_TIMEOUT_MS = 90_000;

describe('monomyth failed / redrive / purge-failed', () => {
  it(
    'redrive - poison messages fail, the fixed system is deployed, redrive moves them and every one arrives at END',
    async () => {
      await deleteQueues([INPUT, OUTPUT, FAIL]);
      const { master } = await processes.startMaster({ heartbeatMs: 400, heartbeatMisses: 4 });
      const strict = startWorker(master, STRICT, 'redrive-strict');
      await eventually(
        () => control<WorkerInfo[]>(master, ['workers']),
        (list) => list.length === 1,
        20_000,
      );
      await control(master, ['start', 'CHECK']);
      await checkRunsOn(master, 'redrive-strict');

      const inputs: Input[] = Array.from({ length: 40 }, (_, id) => ({ id, poison: id % 4 === 0 }));
      const poison = inputs.filter((input) => input.poison).map((input) => input.id);
      await publish(INPUT, inputs);
      const clean = await readOutputs(inputs.length - poison.length);
      expect(clean.every((output) => output.by === 'strict')).toBe(true);
      const before = await eventually(
        () => failed(master),
        (result) => result.count === poison.length,
      );
      expect(before).toMatchObject({ queue: FAIL, action: 'inspect', workerId: 'redrive-strict' });

      // What an operator reads before deciding: why they failed, where from, and the start of each body.
      const peek = await failed(master, ['--peek', '3']);
      expect(peek.count).toBe(poison.length);
      expect(peek.messages).toHaveLength(3);
      const first = peek.messages?.[0];
      expect(first).toMatchObject({
        reason: `cannot handle poison input ${poison[0]}`,
        errorName: 'NonRetryableError',
        step: 'transform',
        attempts: 1,
        sourceQueue: INPUT,
      });
      expect(first?.preview).toBe(JSON.stringify(inputs[poison[0] as number]));
      expect(Date.parse(first?.lastFailureAt ?? '')).not.toBeNaN();
      // Peeking took nothing away (RabbitMQ counts what a peek gave back a moment later).
      await eventually(
        () => failed(master),
        (result) => result.count === poison.length,
      );
      const human = await run('control', ['--master', master, 'failed', 'CHECK', '--peek', '2']);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`${FAIL}: ${poison.length} messages (read by redrive-strict)`);
      expect(human.stdout).toContain('NonRetryableError');
      expect(human.stdout).toContain('cannot handle poison input');
      await eventually(
        () => failed(master),
        (result) => result.count === poison.length,
      );

      // Deploy the fix: the strict worker drains and leaves; a worker with the fixed system takes its place, and the
      // master starts the CHECK node it still wants there.
      strict.kill('SIGTERM');
      expect(await exited(strict)).toBe(0);
      startWorker(master, FIXED, 'redrive-fixed');
      await checkRunsOn(master, 'redrive-fixed');

      const redriven = await control<FailQueueResult>(master, ['redrive', 'CHECK']);
      expect(redriven).toMatchObject({
        action: 'redrive',
        queue: FAIL,
        moved: poison.length,
        to: INPUT,
        count: 0,
        workerId: 'redrive-fixed',
      });
      const late = await readOutputs(poison.length);
      expect(late.map((output) => output.id).sort((a, b) => a - b)).toEqual(poison);
      expect(late.every((output) => output.by === 'fixed')).toBe(true);
      expect((await failed(master)).count).toBe(0);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'redrive - a worker killed mid-redrive loses nothing: each message is in one queue or both, and redriving again empties the fail queue',
    async () => {
      await deleteQueues([INPUT, OUTPUT, FAIL]);
      const { master } = await processes.startMaster({ heartbeatMs: 400, heartbeatMisses: 4 });
      const victim = startWorker(master, FIXED, 'redrive-victim');
      await eventually(
        () => control<WorkerInfo[]>(master, ['workers']),
        (list) => list.length === 1,
        20_000,
      );
      // No CHECK node runs: what is moved stays in START-to-CHECK, to be counted.
      await failed(master);
      const total = 4000;
      await publish(
        FAIL,
        Array.from({ length: total }, (_, id) => ({ id })),
      );
      // One first, so that the worker has declared the source queue before the test watches it.
      expect(
        await control<FailQueueResult>(master, ['redrive', 'CHECK', '--limit', '1']),
      ).toMatchObject({
        moved: 1,
      });
      const redriving = run('control', ['--master', master, 'redrive', 'CHECK'], 60_000);
      const channel = await amqp().createChannel();
      try {
        await soon(
          () => channel.checkQueue(INPUT),
          (queue) => queue.messageCount > 200,
          { timeoutMs: 20_000, intervalMs: 5 },
        );
        victim.kill('SIGKILL');
        const answer = await redriving;
        expect(answer.code).toBe(1);
        expect(answer.stderr).toContain('WORKER_LOST');
        // What the killed worker held unacknowledged went back to the fail queue: nothing is missing from the two.
        const [source, fail] = await soon(
          async () => [await channel.checkQueue(INPUT), await channel.checkQueue(FAIL)] as const,
          ([s, f]) => s.messageCount + f.messageCount >= total,
          { timeoutMs: 10_000 },
        );
        expect(fail.messageCount).toBeGreaterThan(0);
        expect(source.messageCount).toBeLessThan(total);
      } finally {
        await channel.close();
      }

      startWorker(master, FIXED, 'redrive-second');
      await eventually(
        () => control<WorkerInfo[]>(master, ['workers']),
        (list) => list.some((worker) => worker.workerId === 'redrive-second'),
        20_000,
      );
      // The broker gives back what the dead worker held once it sees its connection gone; until then a redrive cannot
      // see those: an operator asks again until the fail queue is empty, as the test does.
      await eventually(
        () => control<FailQueueResult>(master, ['redrive', 'CHECK']),
        (result) => result.count === 0,
        20_000,
      );
      const ids = await drainIds(INPUT, total);
      expect(new Set(ids).size).toBe(total);
      // At most two batches of 200 were copied twice: the one in flight when the worker died, and the one before if
      // its acknowledgement (which the broker does not confirm) had not been taken yet.
      expect(ids.length - total).toBeLessThanOrEqual(400);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'purge-failed - needs --yes (exit 2, nothing deleted), then deletes them; unknown types and bad --to fail clearly',
    async () => {
      await deleteQueues([INPUT, OUTPUT, FAIL]);
      const { master } = await processes.startMaster();
      startWorker(master, FIXED, 'purge-worker');
      await eventually(
        () => control<WorkerInfo[]>(master, ['workers']),
        (list) => list.length === 1,
        20_000,
      );
      // No CHECK node runs: the worker declares the fail queue itself when asked.
      expect((await failed(master)).count).toBe(0);
      await publish(FAIL, ['a', 'b', 'c']);
      expect((await failed(master)).count).toBe(3);

      const refused = await run('control', ['--master', master, 'purge-failed', 'CHECK']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('add --yes');
      expect((await failed(master)).count).toBe(3);

      const purged = await control<FailQueueResult>(master, ['purge-failed', 'CHECK', '--yes']);
      expect(purged).toMatchObject({ action: 'purge', purged: 3, count: 0 });
      expect((await failed(master)).count).toBe(0);

      const unknown = await run('control', ['--master', master, '--json', 'failed', 'NOPE']);
      expect(unknown.code).toBe(1);
      expect(JSON.parse(unknown.stdout)).toMatchObject({
        error: { status: 400, code: 'UNKNOWN_TYPE' },
      });
      const badTo = await run('control', [
        '--master',
        master,
        'redrive',
        'CHECK',
        '--to',
        'nowhere',
      ]);
      expect(badTo.code).toBe(1);
      expect(badTo.stderr).toContain('no node of the system reads nowhere');
      expect(badTo.stderr).toContain('UNKNOWN_QUEUE');
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
