/**
 * `pnpm bench autoscale`: the master resizing a stage, and holding a stage to a cluster-wide rate, on a RabbitMQ of
 * its own, with a master and two workers in this process (each worker with its own adapter, so its own connections).
 *
 * 1. Autoscaling: SLOW takes 5 ms per message, one at a time (about 200 messages a second per node), policy
 *    1..MAX at 100 messages per node, 1 s up, 2 s down. BENCH_AUTOSCALE_MESSAGES (10,000) are published at once:
 *    prints the time from the backlog appearing to MAX nodes running, and from the backlog drained to 1 node again.
 * 2. Rate limit: 4 RATE nodes (pass-through) limited to 200/s over 20 s; 2 stopped, 20 s more; the limit raised to
 *    400/s, measured over 10 s from 3 s after: prints each rate and its error in percent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { ControlClient } from '@monomyth/control';
import { Master } from '@monomyth/master';
import type { RecipeInfo } from '@monomyth/mmop';
import { defineSystem } from '@monomyth/node';
import { RabbitMqStreamAdapter } from '@monomyth/rmq';
import { RabbitMqServer, freePort } from '@monomyth/testing';
import { Worker } from '@monomyth/worker';

const MESSAGES = Number(process.env.BENCH_AUTOSCALE_MESSAGES ?? 10_000);
const MAX = 4;
const RATE_WINDOW_MS = 20_000;

const system = defineSystem({
  name: 'bench-autoscale',
  nodes: [
    {
      name: 'SLOW',
      source: 'bench-slow-in',
      dest: 'bench-slow-out',
      batchSize: 10,
      batchTimeoutMs: 10,
      transform: async (n: number) => {
        await sleep(5);
        return n;
      },
    },
    {
      name: 'RATE',
      source: 'bench-rate-in',
      dest: 'bench-rate-out',
      batchSize: 10,
      batchTimeoutMs: 10,
      transform: (n: number) => n,
    },
  ],
});

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

async function publish(connection: ChannelModel, queue: string, count: number): Promise<void> {
  const channel = await connection.createConfirmChannel();
  await channel.checkQueue(queue);
  for (let i = 0; i < count; i++)
    channel.sendToQueue(queue, Buffer.from(String(i)), { persistent: true });
  await channel.waitForConfirms();
  await channel.close();
}

export async function runAutoscaleBench(): Promise<Record<string, unknown>> {
  const server = await RabbitMqServer.start();
  const master = await Master.create({
    bind: `tcp://127.0.0.1:${await freePort()}`,
    heartbeatIntervalMs: 200,
    heartbeatMisses: 5,
  });
  const adapters = [0, 1].map(
    (i) => new RabbitMqStreamAdapter({ url: server.url, connectionName: `bench-autoscale-${i}` }),
  );
  for (const adapter of adapters) await adapter.open();
  const workers = adapters.map(
    (adapter, i) =>
      new Worker({ system, adapter, master: master.endpoint, id: `bench-w${i}`, capacity: 8 }),
  );
  for (const worker of workers) worker.start();
  const client = new ControlClient({ master: master.endpoint });
  const connection = await connect(server.url);
  connection.on('error', () => {});
  const info = async (type: string): Promise<RecipeInfo | undefined> =>
    (await client.recipes()).find((recipe) => recipe.type === type);
  try {
    await until(
      () => info('SLOW'),
      (slow) => slow?.workers === 2,
      20_000,
    );

    // 1. Autoscaling.
    await client.startNode('SLOW', 1);
    await client.autoscale('SLOW', {
      min: 1,
      max: MAX,
      targetBacklogPerNode: 100,
      scaleUpAfterMs: 1000,
      scaleDownAfterMs: 2000,
    });
    const started = Date.now();
    await publish(connection, 'bench-slow-in', MESSAGES);
    await until(
      () => info('SLOW'),
      (slow) => slow?.running === MAX,
      60_000,
    );
    const toMaxMs = Date.now() - started;
    const channel = await connection.createChannel();
    await until(
      async () => (await channel.checkQueue('bench-slow-in')).messageCount,
      (count) => count === 0,
      300_000,
    );
    const drainedAt = Date.now();
    await until(
      () => info('SLOW'),
      (slow) => slow?.running === 1,
      60_000,
    );
    const backToMinMs = Date.now() - drainedAt;
    console.log(
      `autoscale: ${MESSAGES} messages; ${MAX} nodes after ${(toMaxMs / 1000).toFixed(1)} s; ` +
        `back to 1 node ${(backToMinMs / 1000).toFixed(1)} s after the backlog was drained`,
    );

    // 2. Rate limit.
    await client.rateLimit('RATE', { perSecond: 200 });
    await client.startNode('RATE', 4);
    const arrivals: number[] = [];
    await channel.checkQueue('bench-rate-out');
    await channel.consume('bench-rate-out', () => arrivals.push(Date.now()), { noAck: true });
    const rateOver = async (ms: number): Promise<number> => {
      const from = Date.now();
      await sleep(ms);
      return arrivals.filter((at) => at >= from && at < from + ms).length / (ms / 1000);
    };
    await publish(connection, 'bench-rate-in', 20_000);
    await sleep(1000);
    const fourNodes = await rateOver(RATE_WINDOW_MS);
    await client.stopNode('RATE', 2);
    await sleep(500);
    const twoNodes = await rateOver(RATE_WINDOW_MS);
    await client.rateLimit('RATE', { perSecond: 400 });
    await sleep(3000);
    const raised = await rateOver(RATE_WINDOW_MS / 2);
    const error = (rate: number, limit: number): number =>
      Number(((100 * (rate - limit)) / limit).toFixed(1));
    console.log(
      `rate limit: 4 nodes at 200/s: ${fourNodes.toFixed(1)}/s; 2 nodes: ${twoNodes.toFixed(1)}/s; ` +
        `raised to 400/s: ${raised.toFixed(1)}/s (3 s after)`,
    );
    return {
      bench: 'autoscale',
      messages: MESSAGES,
      toMaxMs,
      backToMinMs,
      rateFourNodes: fourNodes,
      rateTwoNodes: twoNodes,
      rateRaised: raised,
      rateErrorPercent: {
        fourNodes: error(fourNodes, 200),
        twoNodes: error(twoNodes, 200),
        raised: error(raised, 400),
      },
    };
  } finally {
    client.close();
    await connection.close().catch(() => {});
    for (const worker of workers) await worker.close({ drainTimeoutMs: 2000 });
    for (const adapter of adapters) await adapter.close();
    await master.close();
    await server.stop();
  }
}
