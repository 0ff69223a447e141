/**
 * `pnpm bench rmq`: messages per second through a one-stage pass-through node on RabbitMQ, beside hand-written amqplib
 * pass-through loops doing the same job on the same broker in the same run: consume from A, publish to B with
 * confirms, ack A once B confirmed. Same prefetch (the node's default maxUnacked: (batchesInFlight + 1) x batch size,
 * with the default batchesInFlight for the batch size),
 * same 100-byte persistent messages, durable queues, separate connections for consuming and publishing.
 *
 * Two loops (rmq-raw.ts), and the ratio is against the faster by median rate over the rounds: `raw-each` acks each
 * message when its confirm arrives (the loop most people write); `raw-multiple` acks with `multiple` the longest run of
 * confirmed messages, once per event-loop turn (a hand-tuned loop). Beside each rate, the CPU seconds this process spent per 10,000 messages. Then
 * the four-stage example's shape (rmq-pipeline.ts), nodes against hand-written stages: `pipeline4Ratio`.
 *
 * A fourth contender is the node with a worker's Prometheus metrics on (`WorkerMetrics`' batch interceptor, as
 * `monomyth-worker --http` installs it): `metricsCost` is how much slower it moved the messages than the node without
 * them, in percent (median of the rounds' figures).
 *
 * The same messages go back and forth between two queues, so nothing is refilled between rounds: each round moves
 * every message once, A to B, and the next one B to A. Each round runs every contender once, in rotating order; the
 * ratio printed is the median of the rounds' ratios, and rates are medians too.
 *
 * All of it runs once per queue type (BENCH_RMQ_QUEUE_TYPES, default `classic,quorum`): the adapter declares the
 * queues with its `queueType` and the raw loops use the same queues, so each ratio compares like with like.
 *
 * Broker: MONOMYTH_AMQP_URL if set, else a RabbitMQ of its own (started and stopped here). Beside this process's CPU,
 * the broker's, per contender (broker-cpu.ts): always for its own broker, and for MONOMYTH_AMQP_URL's when
 * MONOMYTH_BENCH_BROKER_PID gives its pid or pid file.
 */
import { join } from 'node:path';
import { connect } from 'amqplib';
import { createNode, defaultBatchesInFlight, defaultMaxUnacked } from '@monomyth/node';
import type { BatchInterceptor } from '@monomyth/node';
import { WorkerMetrics } from '@monomyth/worker';
import { RabbitMqStreamAdapter } from '@monomyth/rmq';
import type { QueueType } from '@monomyth/rmq';
import { RabbitMqServer } from '@monomyth/testing';
import { BrokerCpu, brokerSeconds, measureBroker } from './broker-cpu.js';
import { formatRate, median, round } from './measure.js';
import { openRawConnections, startRawStage } from './rmq-raw.js';
import type { RawStage } from './rmq-raw.js';
import { countTo, movedAtLeast, passThroughSystem, publishConfirmed, timed } from './rmq-kit.js';
import type { Run } from './rmq-kit.js';
import {
  PIPELINE_PREFETCH,
  pipelineQueues,
  refillPipeline,
  runNodePipeline,
  runRawPipeline,
} from './rmq-pipeline.js';

const MESSAGES = Number(process.env.BENCH_RMQ_MESSAGES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH_SIZES = (process.env.BENCH_RMQ_BATCH_SIZES ?? '10,100,1000').split(',').map(Number);
const BODY = Buffer.alloc(100, 'x');
const QUEUE_TYPES = (process.env.BENCH_RMQ_QUEUE_TYPES ?? 'classic,quorum').split(
  ',',
) as QueueType[];
const RUN = `bench-rmq-${process.pid}`;

type Contender = 'node' | 'node-metrics' | 'raw-each' | 'raw-multiple';

/** CPU seconds per 10,000 messages. */
function cpuPer10k(cpuSeconds: number): number {
  return (cpuSeconds * 10_000) / MESSAGES;
}

/** The median of the broker's CPU seconds per 10,000 messages, or undefined when the broker is not measured. */
function brokerPer10k(runs: readonly (number | undefined)[]): number | undefined {
  const known = runs.filter((seconds): seconds is number => seconds !== undefined);
  return known.length === 0 ? undefined : round(median(known.map(cpuPer10k)));
}

/** " broker 0.52" beside a rate, when the broker is measured. */
function brokerText(per10k: number | undefined): string {
  return per10k === undefined ? '' : ` broker ${per10k}`;
}

/** Moves every message from `from` to `to` with a raw amqplib loop. */
async function runRaw(
  url: string,
  from: string,
  to: string,
  prefetch: number,
  ackMultiple: boolean,
): Promise<Run> {
  const connections = await openRawConnections(url);
  const moved = countTo(MESSAGES);
  let stage: RawStage | undefined;
  const run = await timed(async () => {
    // Never more than MESSAGES: a quorum queue can hold a few more (acks sent just before a channel closed may not be
    // applied, so those messages come back), and those are left for the next round.
    stage = await startRawStage(connections.consuming, connections.publishing, {
      from,
      to,
      prefetch,
      ackMultiple,
      limit: MESSAGES,
      moved: () => moved.add(1),
    });
    await moved.done;
  });
  await stage?.stop();
  await connections.close();
  return run;
}

/** Moves every message from `from` to `to` through a one-stage pass-through node. */
async function runNode(
  adapter: RabbitMqStreamAdapter,
  from: string,
  to: string,
  batchSize: number,
  interceptors: readonly BatchInterceptor[] = [],
): Promise<Run> {
  const name = `${RUN}-${adapter.options.queueType}-PASS`;
  const system = passThroughSystem('bench', [{ name, source: from, dest: to }], {
    batchSize,
    batchTimeoutMs: 20,
  });
  const { counter, done } = movedAtLeast(MESSAGES);
  const node = createNode(system, name, { adapter, interceptors: [counter, ...interceptors] });
  const run = await timed(async () => {
    await node.start();
    await done;
  });
  await node.drain(10_000);
  return run;
}

/** On a broker that is not the bench's own, leave nothing behind. */
async function deleteQueues(url: string): Promise<void> {
  const connection = await connect(url);
  connection.on('error', () => {});
  const channel = await connection.createChannel();
  for (const type of QUEUE_TYPES) {
    for (const name of [
      'a',
      'b',
      'p0',
      'p1',
      'p2',
      'p3',
      'p4',
      'STAGE0-fail',
      'STAGE1-fail',
      'STAGE2-fail',
      'STAGE3-fail',
      'PASS-fail',
    ]) {
      await channel.deleteQueue(`${RUN}-${type}-${name}`);
    }
  }
  await connection.close();
}

export async function runRmqBench(): Promise<Record<string, unknown>> {
  const external = process.env.MONOMYTH_AMQP_URL;
  const server = external ? undefined : await RabbitMqServer.start();
  const url = external ?? server!.url;
  measureBroker(
    BrokerCpu.of(
      external ? process.env.MONOMYTH_BENCH_BROKER_PID : join(server!.dataDir, 'rabbitmq.pid'),
    ),
  );
  const results: Record<string, unknown> = {
    bench: 'rmq',
    messages: MESSAGES,
    bodyBytes: BODY.length,
    rounds: ROUNDS,
  };
  try {
    console.log(
      `one-stage pass-through on RabbitMQ (${external ? 'MONOMYTH_AMQP_URL' : 'a broker of its own'}), ` +
        `${MESSAGES} messages of ${BODY.length} B per run, ${ROUNDS} rounds (medians; the ratio is the median of ` +
        `per-round ratios against the faster loop), prefetch: the node's default maxUnacked for the batch size; ` +
        'cpu = CPU seconds of this process per 10,000 messages' +
        (brokerSeconds() === undefined
          ? ''
          : ', broker = CPU seconds of the broker per 10,000 messages'),
    );
    for (const queueType of QUEUE_TYPES) {
      console.log(`${queueType} queues:`);
      results[queueType] = await benchQueueType(url, queueType);
    }
  } finally {
    if (server === undefined) await deleteQueues(url);
    await server?.stop();
  }
  return results;
}

/** The batch sizes and the pipeline on queues of one type. */
async function benchQueueType(url: string, queueType: QueueType): Promise<Record<string, unknown>> {
  const adapter = new RabbitMqStreamAdapter({ url, connectionName: 'bench', queueType });
  const results: Record<string, unknown> = {};
  try {
    await adapter.open();
    const a = `${RUN}-${queueType}-a`;
    const b = `${RUN}-${queueType}-b`;
    await adapter.declareQueue(a);
    await adapter.declareQueue(b);
    await publishConfirmed(url, a, MESSAGES, () => BODY);
    let forward = true;
    const cpu: Record<Contender, number[]> = {
      node: [],
      'node-metrics': [],
      'raw-each': [],
      'raw-multiple': [],
    };
    const brokerCpu: Record<Contender, (number | undefined)[]> = {
      node: [],
      'node-metrics': [],
      'raw-each': [],
      'raw-multiple': [],
    };
    const metrics = new WorkerMetrics({ defaultMetrics: false });
    const move = async (contender: Contender, batchSize: number): Promise<number> => {
      const [from, to] = forward ? [a, b] : [b, a];
      forward = !forward;
      const prefetch = defaultMaxUnacked(batchSize, defaultBatchesInFlight(batchSize));
      const run =
        contender === 'node'
          ? await runNode(adapter, from, to, batchSize)
          : contender === 'node-metrics'
            ? await runNode(adapter, from, to, batchSize, [metrics.interceptor])
            : await runRaw(url, from, to, prefetch, contender === 'raw-multiple');
      cpu[contender].push(cpuPer10k(run.cpuSeconds));
      brokerCpu[contender].push(run.brokerCpuSeconds);
      return MESSAGES / run.seconds;
    };
    const sizes: Record<string, unknown> = {};
    const contenders: Contender[] = ['node', 'node-metrics', 'raw-each', 'raw-multiple'];
    for (const batchSize of BATCH_SIZES) {
      for (const contender of contenders) await move(contender, batchSize); // warm-up
      const rates: Record<Contender, number[]> = {
        node: [],
        'node-metrics': [],
        'raw-each': [],
        'raw-multiple': [],
      };
      const metricsCosts: number[] = [];
      for (const contender of contenders) cpu[contender].length = brokerCpu[contender].length = 0;
      const ratiosVsEach: number[] = [];
      const ratiosVsMultiple: number[] = [];
      const ratiosVsRoundsFaster: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Each round runs the four back to back, in an order that rotates: a round's ratio compares runs seconds
        // apart, so a busy machine's swings mostly cancel out of it.
        const round: Partial<Record<Contender, number>> = {};
        for (let k = 0; k < contenders.length; k++) {
          const contender = contenders[(r + k) % contenders.length]!;
          round[contender] = await move(contender, batchSize);
          rates[contender].push(round[contender]);
        }
        ratiosVsEach.push(round.node! / round['raw-each']!);
        ratiosVsMultiple.push(round.node! / round['raw-multiple']!);
        ratiosVsRoundsFaster.push(
          round.node! / Math.max(round['raw-each']!, round['raw-multiple']!),
        );
        metricsCosts.push(100 * (1 - round['node-metrics']! / round.node!));
      }
      const node = median(rates.node);
      const each = median(rates['raw-each']);
      const multiple = median(rates['raw-multiple']);
      // The faster loop is the one with the higher median rate. Taking each round's faster run instead would compare
      // the node with the larger of two noisy samples, which is biased upwards by the noise alone: that figure is kept
      // in the JSON line as ratioVsRoundsFaster.
      const fasterLoop = each >= multiple ? 'raw-each' : 'raw-multiple';
      const ratio = median(fasterLoop === 'raw-each' ? ratiosVsEach : ratiosVsMultiple);
      const brokers = {
        node: brokerPer10k(brokerCpu.node),
        each: brokerPer10k(brokerCpu['raw-each']),
        multiple: brokerPer10k(brokerCpu['raw-multiple']),
      };
      const nodeCpu = median(cpu.node);
      const eachCpu = median(cpu['raw-each']);
      const multipleCpu = median(cpu['raw-multiple']);
      const metricsCost = median(metricsCosts);
      console.log(
        `  batch ${String(batchSize).padStart(4)} (prefetch ${defaultMaxUnacked(batchSize, defaultBatchesInFlight(batchSize))})  ` +
          `node ${formatRate(node).padStart(9)} cpu ${round(nodeCpu)}${brokerText(brokers.node)}   ` +
          `raw ack-each ${formatRate(each).padStart(9)} cpu ${round(eachCpu)}${brokerText(brokers.each)}   ` +
          `raw ack-multiple ${formatRate(multiple).padStart(9)} cpu ${round(multipleCpu)}${brokerText(brokers.multiple)}   ` +
          `ratio ${round(ratio)} (vs ack-each ${round(median(ratiosVsEach))}, ack-multiple ${round(median(ratiosVsMultiple))})   ` +
          `metrics cost ${round(metricsCost)}% (cpu ${round(median(cpu['node-metrics']))})`,
      );
      sizes[String(batchSize)] = {
        nodeMsgPerSec: Math.round(node),
        rawAckEachMsgPerSec: Math.round(each),
        rawAckMultipleMsgPerSec: Math.round(multiple),
        ratio: round(ratio),
        fasterLoop,
        ratioVsAckEach: round(median(ratiosVsEach)),
        ratioVsAckMultiple: round(median(ratiosVsMultiple)),
        ratioVsRoundsFaster: round(median(ratiosVsRoundsFaster)),
        roundRatios: (fasterLoop === 'raw-each' ? ratiosVsEach : ratiosVsMultiple).map(round),
        nodeCpuSecPer10k: round(nodeCpu),
        rawAckEachCpuSecPer10k: round(eachCpu),
        rawAckMultipleCpuSecPer10k: round(multipleCpu),
        nodeBrokerCpuSecPer10k: brokers.node,
        rawAckEachBrokerCpuSecPer10k: brokers.each,
        rawAckMultipleBrokerCpuSecPer10k: brokers.multiple,
        metricsCost: round(metricsCost),
        nodeMetricsCpuSecPer10k: round(median(cpu['node-metrics'])),
      };
    }
    results.batchSizes = sizes;
    Object.assign(results, await benchPipeline4(adapter, url, queueType));
  } finally {
    await adapter.close();
  }
  return results;
}

/** The four-stage shape, nodes against hand-written stages, in rounds of both (rotating which goes first). */
async function benchPipeline4(
  adapter: RabbitMqStreamAdapter,
  url: string,
  queueType: QueueType,
): Promise<Record<string, unknown>> {
  const prefix = `${RUN}-${queueType}`;
  const queues = pipelineQueues(prefix);
  for (const queue of queues) await adapter.declareQueue(queue);
  const rates = { node: [] as number[], raw: [] as number[] };
  const cpu = { node: [] as number[], raw: [] as number[] };
  const brokerCpu = { node: [] as (number | undefined)[], raw: [] as (number | undefined)[] };
  const ratios: number[] = [];
  const once = async (contender: 'node' | 'raw'): Promise<number> => {
    await refillPipeline(url, queues, MESSAGES, BODY);
    const run =
      contender === 'node'
        ? await runNodePipeline(adapter, queues, prefix, MESSAGES)
        : await runRawPipeline(url, queues, MESSAGES);
    cpu[contender].push(cpuPer10k(run.cpuSeconds));
    brokerCpu[contender].push(run.brokerCpuSeconds);
    rates[contender].push(MESSAGES / run.seconds);
    return MESSAGES / run.seconds;
  };
  await once('node'); // warm-up
  await once('raw');
  rates.node.length = rates.raw.length = cpu.node.length = cpu.raw.length = 0;
  brokerCpu.node.length = brokerCpu.raw.length = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const [first, second] = r % 2 === 0 ? (['node', 'raw'] as const) : (['raw', 'node'] as const);
    const a = await once(first);
    const b = await once(second);
    ratios.push(first === 'node' ? a / b : b / a);
  }
  const ratio = median(ratios);
  const brokers = { node: brokerPer10k(brokerCpu.node), raw: brokerPer10k(brokerCpu.raw) };
  console.log(
    `  4 stages x 2 nodes, batch 10, prefetch ${PIPELINE_PREFETCH}: nodes ${formatRate(median(rates.node))} ` +
      `cpu ${round(median(cpu.node))}${brokerText(brokers.node)}   raw ${formatRate(median(rates.raw))} ` +
      `cpu ${round(median(cpu.raw))}${brokerText(brokers.raw)}   ` +
      `ratio ${round(ratio)}`,
  );
  return {
    pipeline4MsgPerSec: Math.round(median(rates.node)),
    pipeline4RawMsgPerSec: Math.round(median(rates.raw)),
    pipeline4Ratio: round(ratio),
    pipeline4NodeCpuSecPer10k: round(median(cpu.node)),
    pipeline4RawCpuSecPer10k: round(median(cpu.raw)),
    pipeline4BrokerCpuSecPer10k: brokers.node,
    pipeline4RawBrokerCpuSecPer10k: brokers.raw,
    pipeline4RoundRatios: ratios.map(round),
  };
}
