/**
 * The cluster the demo runs on: a master and two workers, either in this process on the in-memory adapter (nothing to
 * install), or as separate processes (the monomyth-master and monomyth-worker apps) on RabbitMQ.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { Master } from '@monomyth/master';
import type { HttpAddress } from '@monomyth/master';
import { MemoryBroker, MemoryStreamAdapter } from '@monomyth/node/memory';
import type { StreamAdapter } from '@monomyth/node';
import { RabbitMqStreamAdapter } from '@monomyth/rmq';
import { freePort } from '@monomyth/testing';
import { Worker } from '@monomyth/worker';
import system from './system.js';

export interface DemoCluster {
  /** How the cluster runs, for the demo's first lines. */
  readonly description: string;
  readonly master: string;
  readonly workerIds: readonly string[];
  /** The master's dashboard (`--http`), or undefined without it. */
  readonly dashboard: string | undefined;
  /** An adapter on the same queues as the nodes: the demo feeds inputs and reads outputs through it. */
  readonly io: StreamAdapter;
  close(): Promise<void>;
}

const WORKER_IDS = ['demo-worker-1', 'demo-worker-2'];

export async function inProcessCluster(http?: HttpAddress): Promise<DemoCluster> {
  const broker = new MemoryBroker();
  // Fast heartbeats: they carry the counters the live progress line shows, and this run takes well under a second.
  const master = await Master.create({
    bind: 'tcp://127.0.0.1:*',
    heartbeatIntervalMs: 50,
    heartbeatMisses: 20,
    http,
  });
  const adapters: MemoryStreamAdapter[] = [];
  const workers = await Promise.all(
    WORKER_IDS.map(async (id) => {
      const adapter = new MemoryStreamAdapter({ broker });
      await adapter.open();
      adapters.push(adapter);
      const worker = new Worker({ master: master.endpoint, system, adapter, id });
      worker.start();
      return worker;
    }),
  );
  const io = new MemoryStreamAdapter({ broker });
  await io.open();
  return {
    description: `a master and two workers in this process, over tcp loopback; queues in memory`,
    master: master.endpoint,
    workerIds: WORKER_IDS,
    dashboard: master.httpUrl,
    io,
    async close() {
      await Promise.all(workers.map((worker) => worker.close({ drainTimeoutMs: 5000 })));
      await Promise.all([...adapters, io].map((adapter) => adapter.close()));
      await master.close();
    },
  };
}

function app(name: 'master' | 'worker'): string {
  return fileURLToPath(new URL(`../../../apps/${name}/dist/main.js`, import.meta.url));
}

/** Deletes the example's queues, so outputs left by an earlier run are not taken for this run's. */
async function resetQueues(url: string): Promise<void> {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  for (const queue of [
    ...system.queues.inputs,
    ...system.queues.outputs,
    ...system.queues.failures,
  ])
    await channel.deleteQueue(queue);
  for (let i = 1; i < system.types.length; i++)
    await channel.deleteQueue(`${system.types[i - 1]}-to-${system.types[i]}`);
  await connection.close();
}

export async function processCluster(amqpUrl: string, http?: HttpAddress): Promise<DemoCluster> {
  await resetQueues(amqpUrl);
  const master = `tcp://127.0.0.1:${await freePort()}`;
  const children: ChildProcess[] = [];
  const start = (args: string[]): void => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
  };
  // The master's address is known before it starts: a port 0 is chosen here.
  const dashboard = http && { host: http.host, port: http.port || (await freePort()) };
  start([
    ...[app('master'), '--bind', master, '--heartbeat-ms', '200', '--log-level', 'warn'],
    ...(dashboard ? ['--http', `${dashboard.host}:${dashboard.port}`] : []),
  ]);
  const systemPath = fileURLToPath(new URL('./system.js', import.meta.url));
  for (const id of WORKER_IDS) {
    start([
      app('worker'),
      '--master',
      master,
      '--system',
      systemPath,
      '--amqp',
      amqpUrl,
      '--name',
      id,
      '--log-level',
      'warn',
    ]);
  }
  const io = new RabbitMqStreamAdapter({ url: amqpUrl, connectionName: 'monomyth-demo' });
  await io.open();
  return {
    description: `monomyth-master and two monomyth-worker processes; queues on RabbitMQ`,
    master,
    workerIds: WORKER_IDS,
    dashboard: dashboard && `http://${dashboard.host}:${dashboard.port}`,
    io,
    async close() {
      await io.close();
      const exits = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(exits);
    },
  };
}
