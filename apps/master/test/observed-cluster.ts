/**
 * A real cluster to observe, as an operator runs it: a RabbitMQ of its own (own ports and data directory, so no other
 * test's queues of the 4-stage example can mix with these; MONOMYTH_AMQP_URL instead when set), the built
 * monomyth-master with `--http` and one built monomyth-worker of the 4-stage example with `--http`, its four node types
 * started through the control client, and inputs put on the first queue. Every process is killed and every directory
 * removed by `stop()`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { ControlClient } from '@monomyth/control';
import { RabbitMqServer, eventually, freePort } from '@monomyth/testing';

export const TYPES = ['TEST-NODE1', 'TEST-NODE2', 'TEST-NODE3', 'TEST-NODE4'] as const;
export const INPUT = 'START-to-TEST-NODE1';

const MASTER_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const WORKER_MAIN = fileURLToPath(new URL('../../worker/dist/main.js', import.meta.url));
const FOUR_STAGE_SYSTEM = fileURLToPath(
  new URL('../../../examples/four-stage/dist/system.js', import.meta.url),
);

/** Fails (never skips) when something the test needs is not built. */
export function requireBuilt(): void {
  for (const path of [MASTER_MAIN, WORKER_MAIN, FOUR_STAGE_SYSTEM])
    if (!existsSync(path)) throw new Error(`${path} is missing: build first (pnpm build)`);
}

export interface ObservedCluster {
  readonly master: string;
  /** `http://127.0.0.1:PORT` of the master's and the worker's --http. */
  readonly masterHttp: string;
  readonly workerHttp: string;
  readonly masterHttpPort: number;
  readonly workerHttpPort: number;
  /** Puts `count` inputs of the example on its first queue. */
  publish(count: number): Promise<void>;
  /** Everything the master and worker printed, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

function start(main: string, args: readonly string[], log: string[]): ChildProcess {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  return child;
}

/** Starts the broker, master, worker and the four nodes; resolves once all four run. */
export async function startObservedCluster(): Promise<ObservedCluster> {
  requireBuilt();
  const external = process.env.MONOMYTH_AMQP_URL;
  const broker = external === undefined ? await RabbitMqServer.start() : undefined;
  const amqpUrl = external ?? broker!.url;
  const log: string[] = [];
  const children: ChildProcess[] = [];
  let connection: ChannelModel | undefined;
  let control: ControlClient | undefined;
  const stop = async (): Promise<void> => {
    control?.close();
    for (const child of children) child.kill('SIGKILL');
    await connection?.close().catch(() => {});
    await broker?.stop();
  };
  try {
    const [mmopPort, masterHttpPort, workerHttpPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const master = `tcp://127.0.0.1:${mmopPort}`;
    children.push(
      start(
        MASTER_MAIN,
        [
          ...['--bind', master, '--http', `127.0.0.1:${masterHttpPort}`],
          // A liveness window of 2 s: a worker starved of CPU on a busy machine is not taken for lost.
          ...['--heartbeat-ms', '400', '--heartbeat-misses', '5'],
        ],
        log,
      ),
    );
    children.push(
      start(
        WORKER_MAIN,
        [
          ...['--master', master, '--system', FOUR_STAGE_SYSTEM, '--amqp', amqpUrl],
          ...['--name', 'observed-worker', '--http', `127.0.0.1:${workerHttpPort}`],
        ],
        log,
      ),
    );
    control = new ControlClient({ master, timeoutMs: 10_000 });
    const client = control;
    await eventually(
      () => client.workers().catch(() => []),
      (workers) => workers.length === 1,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    for (const type of TYPES) await client.startNode(type, 1);
    connection = await connect(amqpUrl);
    connection.on('error', () => {});
    const amqp = connection;
    const channel = await amqp.createChannel();
    // Another run on an external broker may have left messages: start from empty queues.
    await channel.purgeQueue(INPUT);
    await channel.close();
    return {
      master,
      masterHttp: `http://127.0.0.1:${masterHttpPort}`,
      workerHttp: `http://127.0.0.1:${workerHttpPort}`,
      masterHttpPort,
      workerHttpPort,
      async publish(count) {
        const confirm = await amqp.createConfirmChannel();
        for (let i = 0; i < count; i++)
          confirm.sendToQueue(INPUT, Buffer.from(JSON.stringify(`input-${i}-`)), {
            persistent: true,
          });
        await confirm.waitForConfirms();
        await confirm.close();
      },
      output: () => log.join(''),
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`the observed cluster did not start: ${String(error)}\n${log.join('')}`);
  }
}
