/**
 * `pnpm bench crash`: what a broker crash costs, per queue type. For each of classic and quorum queues, on a RabbitMQ
 * of its own: 20,000 inputs (distinct numbers) published with confirms to a source queue; a one-stage pass-through
 * node moves them to a destination queue; once 40% have been moved the broker is killed with SIGKILL and started
 * again on the same data; the node's adapter reconnects by itself. When the source is empty and nothing is held, the
 * destination is read whole: missing inputs (lost) and duplicates (moved twice) are counted, with the time from the
 * kill to the first batch moved after it.
 *
 *   source --(node, batch 100)--> dest        kill -9 the broker at 40%, restart it, count dest
 *
 * Classic queues write acks to disk lazily: after a crash they recover messages that had been acknowledged, which the
 * node then moves again. Quorum queues log acks (settlements) in their Raft log, so only what was in flight comes back.
 *
 * Settings: BENCH_CRASH_MESSAGES (20000), BENCH_CRASH_QUEUE_TYPES (classic,quorum), BENCH_CRASH_RUNS (1 per type).
 */
import { connect } from 'amqplib';
import { createNode } from '@monomyth/node';
import { RabbitMqStreamAdapter } from '@monomyth/rmq';
import type { QueueType } from '@monomyth/rmq';
import { RabbitMqServer } from '@monomyth/testing';
import { countMoved, passThroughSystem, publishConfirmed } from './rmq-kit.js';

const MESSAGES = Number(process.env.BENCH_CRASH_MESSAGES ?? 20_000);
const QUEUE_TYPES = (process.env.BENCH_CRASH_QUEUE_TYPES ?? 'classic,quorum').split(
  ',',
) as QueueType[];
const RUNS = Number(process.env.BENCH_CRASH_RUNS ?? 1);
const KILL_AT = 0.4;
const BATCH_SIZE = 100;
/** How long the run may take after the restart before it is called stuck. */
const SETTLE_TIMEOUT_MS = 120_000;

export interface CrashResult {
  readonly queueType: QueueType;
  readonly inputs: number;
  readonly outputs: number;
  readonly missing: number;
  readonly duplicates: number;
  /** Moved when the broker was killed. */
  readonly movedAtKill: number;
  /** From the kill to the first batch moved on the restarted broker. */
  readonly recoveryMs: number;
}

/** Reads `queue` whole (everything in it), acking, and returns the numbers it held. */
async function readAll(url: string, queue: string): Promise<number[]> {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  const { messageCount } = await channel.checkQueue(queue);
  await channel.prefetch(1000);
  const values: number[] = [];
  await new Promise<void>((resolve, reject) => {
    if (messageCount === 0) {
      resolve();
      return;
    }
    const timer = setTimeout(
      () => reject(new Error(`read ${values.length} of ${messageCount} from ${queue}`)),
      60_000,
    );
    void channel.consume(queue, (message) => {
      if (message === null) return;
      values.push(Number(message.content.toString()));
      channel.ack(message);
      if (values.length === messageCount) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await connection.close();
  return values;
}

async function crashOnce(queueType: QueueType, run: number): Promise<CrashResult> {
  const server = await RabbitMqServer.start();
  const source = `crash-${queueType}-${run}-source`;
  const dest = `crash-${queueType}-${run}-dest`;
  const adapter = new RabbitMqStreamAdapter({
    url: server.url,
    queueType,
    connectionName: 'bench-crash',
    reconnect: { minDelayMs: 100, maxDelayMs: 500 },
  });
  try {
    await adapter.open();
    await adapter.declareQueue(source);
    await adapter.declareQueue(dest);
    // Distinct numbers, so that the destination tells what is missing and what came twice.
    await publishConfirmed(server.url, source, MESSAGES, (i) => Buffer.from(String(i)));

    let moved = 0;
    let killedAt = 0;
    let restarted = false;
    let firstAfterRestart = 0;
    let killed!: () => void;
    const killing = new Promise<void>((resolve) => (killed = resolve));
    const counter = countMoved((total, processed) => {
      moved = total;
      if (restarted && firstAfterRestart === 0 && processed > 0) firstAfterRestart = Date.now();
      if (killedAt === 0 && moved >= MESSAGES * KILL_AT) killed();
    });
    const name = `crash-${queueType}-${run}-PASS`;
    const system = passThroughSystem('bench-crash', [{ name, source, dest }], {
      batchSize: BATCH_SIZE,
      batchTimeoutMs: 20,
    });
    const node = createNode(system, name, { adapter, interceptors: [counter] });
    await node.start();
    await killing;
    killedAt = Date.now();
    const movedAtKill = moved;
    await server.kill();
    await server.restart();
    restarted = true;

    // Done when the source is empty and nothing is held, twice in a row a little apart.
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > deadline)
        throw new Error(`${queueType}: the source did not drain after the restart`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stats = await adapter.queueStats(source).catch(() => undefined);
      quiet = stats !== undefined && stats.ready === 0 && stats.unacked === 0 ? quiet + 1 : 0;
    }
    await node.drain(10_000);

    const values = await readAll(server.url, dest);
    const seen = new Map<number, number>();
    for (const value of values) seen.set(value, (seen.get(value) ?? 0) + 1);
    let missing = 0;
    let duplicates = 0;
    for (let i = 0; i < MESSAGES; i++) {
      const times = seen.get(i) ?? 0;
      if (times === 0) missing += 1;
      else duplicates += times - 1;
    }
    return {
      queueType,
      inputs: MESSAGES,
      outputs: values.length,
      missing,
      duplicates,
      movedAtKill,
      recoveryMs: firstAfterRestart > 0 ? firstAfterRestart - killedAt : -1,
    };
  } finally {
    await adapter.close();
    await server.stop();
  }
}

export async function runCrashBench(): Promise<Record<string, unknown>> {
  console.log(
    `broker SIGKILL under load: ${MESSAGES} confirmed inputs through a one-stage node (batch ${BATCH_SIZE}), ` +
      `the broker killed at ${KILL_AT * 100}% and restarted on its data; ${RUNS} run(s) per queue type`,
  );
  const results: CrashResult[] = [];
  for (const queueType of QUEUE_TYPES) {
    for (let run = 0; run < RUNS; run++) {
      const result = await crashOnce(queueType, run);
      results.push(result);
      console.log(
        `  ${queueType.padEnd(7)} run ${run + 1}: ${result.outputs} outputs, missing ${result.missing}, ` +
          `duplicates ${result.duplicates} (moved ${result.movedAtKill} before the kill), ` +
          `moving again ${(result.recoveryMs / 1000).toFixed(1)} s after the kill`,
      );
    }
  }
  return { bench: 'crash', messages: MESSAGES, batchSize: BATCH_SIZE, results };
}
