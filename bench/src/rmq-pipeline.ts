/**
 * The four-stage example's shape on RabbitMQ: 4 pass-through stages, batch 10, 2 nodes per stage (as the demo runs
 * it), p0 -> p1 -> p2 -> p3 -> p4, as monomyth nodes and as hand-written amqplib stages (rmq-raw.ts, acking with
 * `multiple`) with the same prefetch, on the same broker, over one consuming and one publishing connection each.
 * Every run starts from MESSAGES on p0 and empty queues after it, and ends when MESSAGES reached p4.
 */
import { createNode, defaultBatchesInFlight, defaultMaxUnacked } from '@monomyth/node';
import type { RabbitMqStreamAdapter } from '@monomyth/rmq';
import { openRawConnections, startRawStage } from './rmq-raw.js';
import type { RawStage } from './rmq-raw.js';
import { countTo, movedAtLeast, passThroughSystem, publishConfirmed, timed } from './rmq-kit.js';
import type { Run } from './rmq-kit.js';

export const PIPELINE_STAGES = 4;
export const PIPELINE_NODES_PER_STAGE = 2;
export const PIPELINE_BATCH_SIZE = 10;
/** The nodes' default maxUnacked at batch 10: the raw stages use it as their prefetch. */
export const PIPELINE_PREFETCH = defaultMaxUnacked(
  PIPELINE_BATCH_SIZE,
  defaultBatchesInFlight(PIPELINE_BATCH_SIZE),
);

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
  await publishConfirmed(url, queues[0]!, messages, () => body, queues);
}

/** Monomyth nodes: PIPELINE_NODES_PER_STAGE per stage, default settings but the batch size. */
export async function runNodePipeline(
  adapter: RabbitMqStreamAdapter,
  queues: readonly string[],
  prefix: string,
  messages: number,
): Promise<Run> {
  const stages = Array.from({ length: PIPELINE_STAGES }, (_, i) => ({
    name: `${prefix}-STAGE${i}`,
    source: queues[i]!,
    dest: queues[i + 1]!,
  }));
  const system = passThroughSystem('bench-pipeline4', stages, { batchSize: PIPELINE_BATCH_SIZE });
  const { counter, done } = movedAtLeast(messages);
  const running = stages.flatMap((stage, i) =>
    Array.from({ length: PIPELINE_NODES_PER_STAGE }, () =>
      createNode(system, stage.name, {
        adapter,
        interceptors: i === PIPELINE_STAGES - 1 ? [counter] : [],
      }),
    ),
  );
  const run = await timed(async () => {
    await Promise.all(running.map((node) => node.start()));
    await done;
  });
  await Promise.all(running.map((node) => node.drain(10_000)));
  return run;
}

/** Hand-written amqplib stages, the same shape and prefetch. */
export async function runRawPipeline(
  url: string,
  queues: readonly string[],
  messages: number,
): Promise<Run> {
  const connections = await openRawConnections(url);
  const arrived = countTo(messages);
  const stages: RawStage[] = [];
  const run = await timed(async () => {
    for (let i = 0; i < PIPELINE_STAGES; i++) {
      const lastStage = i === PIPELINE_STAGES - 1;
      for (let k = 0; k < PIPELINE_NODES_PER_STAGE; k++) {
        stages.push(
          await startRawStage(connections.consuming, connections.publishing, {
            from: queues[i]!,
            to: queues[i + 1]!,
            prefetch: PIPELINE_PREFETCH,
            ackMultiple: true,
            moved: lastStage ? () => arrived.add(1) : () => {},
          }),
        );
      }
    }
    await arrived.done;
  });
  await Promise.all(stages.map((stage) => stage.stop()));
  await connections.close();
  return run;
}
