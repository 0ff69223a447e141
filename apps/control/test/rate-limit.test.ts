/**
 * A cluster-wide rate limit with real processes on a real RabbitMQ: 4 nodes of a type limited to 200 messages a second
 * process 200 a second together; with two of them stopped, still 200; raised to 400, 400 within 3 s. Each figure is
 * counted from the outputs' arrival times over a window (10 s here, to keep the test short; docs/scaling.md gives the
 * 20 s figures).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import type { RecipeInfo } from '@monomyth/mmop';
import { control, eventually } from './processes.js';
import { useTestCluster } from './test-cluster.js';

const RATE_SYSTEM = fileURLToPath(new URL('./fixtures/rate-system.js', import.meta.url));
const INPUT = 'START-to-RATE';
const OUTPUT = 'RATE-to-END';
const WINDOW_MS = 10_000;

const amqpUrl = inject('amqpUrl');
const { processes, amqp, deleteQueues } = useTestCluster();

async function rateInfo(master: string): Promise<RecipeInfo | undefined> {
  const recipes = await control<RecipeInfo[]>(master, ['recipes']);
  return recipes.find((recipe) => recipe.type === 'RATE');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limit, with processes', () => {
  it('4 nodes at 200/s; 2 of them stopped: still 200/s; raised to 400/s: 400/s within 3 s', async () => {
    await deleteQueues([INPUT, OUTPUT, 'RATE-fail']);
    const { master } = await processes.startMaster({ heartbeatMs: 200, heartbeatMisses: 5 });
    for (const name of ['rate-a', 'rate-b'])
      processes.start(
        'worker',
        ['--master', master, '--system', RATE_SYSTEM, '--name', name, '--drain-ms', '5000'],
        { MONOMYTH_AMQP_URL: amqpUrl },
      );
    await eventually(
      () => rateInfo(master).catch(() => undefined),
      (info) => info?.workers === 2,
    );
    const limited = await control<{ nodes: number }>(master, ['rate-limit', 'RATE', '200']);
    expect(limited.nodes).toBe(0);
    await control(master, ['start', 'RATE', '-n', '4']);

    // The outputs' arrival times, read as they come.
    const arrivals: number[] = [];
    const reader = await amqp().createChannel();
    // Declared by the RATE nodes as they started, with the arguments they chose.
    await reader.checkQueue(OUTPUT);
    await reader.consume(OUTPUT, () => arrivals.push(Date.now()), { noAck: true });
    const rateOver = async (ms: number): Promise<number> => {
      const from = Date.now();
      await sleep(ms);
      return arrivals.filter((at) => at >= from && at < from + ms).length / (ms / 1000);
    };

    const channel = await amqp().createConfirmChannel();
    await channel.checkQueue(INPUT);
    for (let i = 0; i < 12_000; i++)
      channel.sendToQueue(INPUT, Buffer.from(String(i)), { persistent: true });
    await channel.waitForConfirms();
    await channel.close();

    await sleep(1500);
    const four = await rateOver(WINDOW_MS);
    await control(master, ['stop-node', 'RATE', '-n', '2']);
    await eventually(
      () => rateInfo(master),
      (info) => info?.running === 2,
    );
    await sleep(1000);
    const two = await rateOver(WINDOW_MS);
    const raised = await control<{ nodes: number }>(master, ['rate-limit', 'RATE', '400']);
    expect(raised.nodes).toBe(2);
    await sleep(3000);
    const four100 = await rateOver(WINDOW_MS / 2);
    await reader.close();
    console.log(JSON.stringify({ fourNodes: four, twoNodes: two, raisedTo400: four100 }));
    expect(Math.abs(four - 200) / 200).toBeLessThan(0.1);
    expect(Math.abs(two - 200) / 200).toBeLessThan(0.1);
    expect(Math.abs(four100 - 400) / 400).toBeLessThan(0.1);
    const info = await rateInfo(master);
    expect(info?.rateLimit).toEqual({ perSecond: 400 });
  }, 90_000);
});
