/**
 * The four-stage example's shape on RabbitMQ: 4 pass-through stages, batch 10, 2 nodes per stage (as the demo runs
 * it), p0 -> p1 -> p2 -> p3 -> p4, as monomyth nodes and as hand-written amqplib stages (rmq-raw.ts, acking with
 * `multiple`) with the same prefetch, on the same broker, over one consuming and one publishing connection each.
 * Every run starts from MESSAGES on p0 and empty queues after it, and ends when MESSAGES reached p4.
 */
import { connect } from 'amqplib';
import {
  bytesCodec,
  createNode,
  defaultMaxUnacked,
  defineSystem,
  DEFAULT_BATCHES_IN_FLIGHT,
} from '@monomyth/node';
import type { BatchInterceptor } from '@monomyth/node';
import type { RabbitMqStreamAdapter } from '@monomyth/rmq';
import { startRawStage } from './rmq-raw.js';
import type { RawStage } from './rmq-raw.js';

export const PIPELINE_STAGES = 4;
export const PIPELINE_NODES_PER_STAGE = 2;
export const PIPELINE_BATCH_SIZE = 10;
/** The nodes' default maxUnacked at batch 10: the raw stages use it as their prefetch. */
export const PIPELINE_PREFETCH = defaultMaxUnacked(PIPELINE_BATCH_SIZE, DEFAULT_BATCHES_IN_FLIGHT);

export interface PipelineRun {
  readonly seconds: number;
  /** CPU seconds this process used during the run. */
  readonly cpuSeconds: number;
}

/** The pipeline's queues for one queue type: p0 .. p4. */
export function pipelineQueues(prefix: string): string[] {
  return Array.from({ length: PIPELINE_STAGES + 1 }, (_, i) => `${prefix}-p${i}`);
}

/** Empties every pipeline queue and puts `messages` bodies on p0. */
export async function refillPipeline(
  url: string,
  queues: readonly string[],
  messages: number,
  body: Buffer,
): Promise<void> {
  const connection = await connect(url);
  connection.on('error', () => {});
  const channel = await connection.createConfirmChannel();
  for (const queue of queues) await channel.purgeQueue(queue);
  for (let sent = 0; sent < messages; sent += 1000) {
    for (let i = 0; i < 1000 && sent + i < messages; i++) {
      channel.sendToQueue(queues[0]!, body, { persistent: true });
    }
    await channel.waitForConfirms();
  }
  await connection.close();
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Monomyth nodes: PIPELINE_NODES_PER_STAGE per stage, default settings but the batch size. */
export async function runNodePipeline(
  adapter: RabbitMqStreamAdapter,
  queues: readonly string[],
  prefix: string,
  messages: number,
): Promise<PipelineRun> {
  const nodes = Array.from({ length: PIPELINE_STAGES }, (_, i) => ({
    name: `${prefix}-STAGE${i}`,
    source: queues[i]!,
    dest: queues[i + 1]!,
    codec: bytesCodec,
    batchSize: PIPELINE_BATCH_SIZE,
    transform: (body: Uint8Array) => body,
  }));
  const system = defineSystem({ name: 'bench-pipeline4', nodes });
  let arrived = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const last: BatchInterceptor = {
    async interceptBatch(_info, next) {
      const outcome = await next();
      arrived += outcome.processed;
      if (arrived >= messages) finish();
      return outcome;
    },
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const running = nodes.flatMap((node, i) =>
    Array.from({ length: PIPELINE_NODES_PER_STAGE }, () =>
      createNode(system, node.name, {
        adapter,
        interceptors: i === PIPELINE_STAGES - 1 ? [last] : [],
      }),
    ),
  );
  await Promise.all(running.map((node) => node.start()));
  await done;
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  await Promise.all(running.map((node) => node.drain(10_000)));
  return { seconds, cpuSeconds };
}

/** Hand-written amqplib stages, the same shape and prefetch. */
export async function runRawPipeline(
  url: string,
  queues: readonly string[],
  messages: number,
): Promise<PipelineRun> {
  const consuming = await connect(url);
  const publishing = await connect(url);
  consuming.on('error', () => {});
  publishing.on('error', () => {});
  let arrived = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const stages: RawStage[] = [];
  for (let i = 0; i < PIPELINE_STAGES; i++) {
    const lastStage = i === PIPELINE_STAGES - 1;
    for (let k = 0; k < PIPELINE_NODES_PER_STAGE; k++) {
      stages.push(
        await startRawStage(consuming, publishing, {
          from: queues[i]!,
          to: queues[i + 1]!,
          prefetch: PIPELINE_PREFETCH,
          ackMultiple: true,
          moved: lastStage
            ? () => {
                if (++arrived === messages) finish();
              }
            : () => {},
        }),
      );
    }
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  await Promise.all(stages.map((stage) => stage.stop()));
  await consuming.close();
  await publishing.close();
  return { seconds, cpuSeconds };
}
