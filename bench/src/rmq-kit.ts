/**
 * What the RabbitMQ benchmarks share (rmq, rmq-pipeline, crash): filling a queue with confirmed messages, a system of
 * pass-through nodes, counting what nodes move, and timing a run with the CPU this process used meanwhile.
 */
import { connect } from 'amqplib';
import { bytesCodec, defineSystem } from '@monomyth/node';
import type { BatchInterceptor, System } from '@monomyth/node';
import { brokerSeconds } from './broker-cpu.js';

/** A run's seconds, and the CPU seconds this process used meanwhile. */
export interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** The broker's CPU seconds meanwhile, when it is measured (broker-cpu.ts). */
  readonly brokerCpuSeconds: number | undefined;
}

/** Times `work` (wall clock, this process's CPU, and the broker's when it is measured). */
export async function timed(work: () => Promise<void>): Promise<Run> {
  const cpu = process.cpuUsage();
  const broker = brokerSeconds();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const brokerNow = brokerSeconds();
  return {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    brokerCpuSeconds:
      broker === undefined || brokerNow === undefined ? undefined : brokerNow - broker,
  };
}

/**
 * Publishes `count` persistent messages (`bodyOf(i)` each) to `queue`, which must exist, confirmed 1,000 at a time;
 * empties the queues in `purge` first.
 */
export async function publishConfirmed(
  url: string,
  queue: string,
  count: number,
  bodyOf: (i: number) => Buffer,
  purge: readonly string[] = [],
): Promise<void> {
  const connection = await connect(url);
  connection.on('error', () => {});
  const channel = await connection.createConfirmChannel();
  await channel.checkQueue(queue);
  for (const name of purge) await channel.purgeQueue(name);
  for (let sent = 0; sent < count; sent += 1000) {
    for (let i = sent; i < Math.min(count, sent + 1000); i++) {
      channel.sendToQueue(queue, bodyOf(i), { persistent: true });
    }
    await channel.waitForConfirms();
  }
  await connection.close();
}

export interface PassThroughStage {
  readonly name: string;
  readonly source: string;
  readonly dest: string;
}

/** A system of pass-through nodes on raw bytes, one per stage. */
export function passThroughSystem(
  name: string,
  stages: readonly PassThroughStage[],
  batch: { readonly batchSize: number; readonly batchTimeoutMs?: number },
): System {
  return defineSystem({
    name,
    nodes: stages.map((stage) => ({
      ...stage,
      ...batch,
      codec: bytesCodec,
      transform: (body: Uint8Array) => body,
    })),
  });
}

/** An interceptor that tells `onBatch` the total moved so far after each batch, and the batch's own count. */
export function countMoved(onBatch: (total: number, processed: number) => void): BatchInterceptor {
  let total = 0;
  return {
    async interceptBatch(_info, next) {
      const outcome = await next();
      total += outcome.processed;
      onBatch(total, outcome.processed);
      return outcome;
    },
  };
}

/** Counts up: `add(n)` adds to the total, `done` settles once it reaches `count`. */
export function countTo(count: number): { add(n: number): void; done: Promise<void> } {
  let total = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    add(n) {
      total += n;
      if (total >= count) finish();
    },
    done,
  };
}

/** An interceptor counting what a node moves, and a promise that settles once `count` have been moved. */
export function movedAtLeast(count: number): { counter: BatchInterceptor; done: Promise<void> } {
  const moved = countTo(count);
  return { counter: countMoved((_total, processed) => moved.add(processed)), done: moved.done };
}
