/**
 * `pnpm bench rmq`: messages per second through a one-stage pass-through node on RabbitMQ, beside hand-written amqplib
 * pass-through loops doing the same job on the same broker in the same run: consume from A, publish to B with
 * confirms, ack A once B confirmed. Same prefetch (the node's default: 2 x batch size), same 100-byte persistent
 * messages, durable queues, separate connections for consuming and publishing.
 *
 * Two loops, and the ratio is against the faster: `raw-each` acks each message when its confirm arrives (the loop most
 * people write); `raw-multiple` acks with `multiple` the longest run of confirmed messages, once per event-loop turn
 * (a hand-tuned loop). Then a 3-stage pipeline of pass-through nodes.
 *
 * The same messages go back and forth between two queues, so nothing is refilled between rounds: each round moves
 * every message once, A to B, and the next one B to A. Each round runs every contender once, in rotating order; the
 * ratio printed is the median of the rounds' ratios, and rates are medians too.
 *
 * All of it runs once per queue type (BENCH_RMQ_QUEUE_TYPES, default `classic,quorum`): the adapter declares the
 * queues with its `queueType` and the raw loops use the same queues, so each ratio compares like with like.
 *
 * Broker: MONOMYTH_AMQP_URL if set, else a RabbitMQ of its own (started and stopped here).
 */
import { connect } from 'amqplib';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { bytesCodec, createNode, defineSystem } from '@monomyth/node';
import type { BatchInterceptor } from '@monomyth/node';
import { RabbitMqStreamAdapter } from '@monomyth/rmq';
import type { QueueType } from '@monomyth/rmq';
import { RabbitMqServer } from '@monomyth/testing';
import { formatRate, median, round } from './measure.js';

const MESSAGES = Number(process.env.BENCH_RMQ_MESSAGES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH_SIZES = (process.env.BENCH_RMQ_BATCH_SIZES ?? '10,100,1000').split(',').map(Number);
const BODY = Buffer.alloc(100, 'x');
const QUEUE_TYPES = (process.env.BENCH_RMQ_QUEUE_TYPES ?? 'classic,quorum').split(
  ',',
) as QueueType[];
const RUN = `bench-rmq-${process.pid}`;

type Contender = 'node' | 'raw-each' | 'raw-multiple';

/** Fills `queue` (declared by the adapter, with its queue type) with MESSAGES bodies, confirmed. */
async function fill(url: string, queue: string): Promise<void> {
  const connection = await connect(url);
  const channel = await connection.createConfirmChannel();
  await channel.checkQueue(queue);
  for (let sent = 0; sent < MESSAGES; sent += 1000) {
    for (let i = 0; i < 1000 && sent + i < MESSAGES; i++) {
      channel.sendToQueue(queue, BODY, { persistent: true });
    }
    await channel.waitForConfirms();
  }
  await connection.close();
}

/** Seconds to move every message from `from` to `to` with a raw amqplib loop. */
async function runRaw(
  url: string,
  from: string,
  to: string,
  prefetch: number,
  ackMultiple: boolean,
): Promise<number> {
  const consuming = await connect(url);
  const publishing = await connect(url);
  consuming.on('error', () => {});
  publishing.on('error', () => {});
  const input: Channel = await consuming.createChannel();
  const output: ConfirmChannel = await publishing.createConfirmChannel();
  await input.prefetch(prefetch);
  let moved = 0;
  /**
   * Deliveries taken: never more than MESSAGES. A quorum queue can hold a few more than MESSAGES (acks sent just
   * before a channel closed may not be applied, so those messages come back), and those are left for the next round.
   */
  let taken = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let flush = (): void => {};
  let finished = false;
  const started = performance.now();

  if (!ackMultiple) {
    await input.consume(
      from,
      (message) => {
        if (message === null || taken === MESSAGES) return;
        taken += 1;
        output.sendToQueue(to, message.content, { persistent: true }, (error) => {
          if (error || finished) return; // the round is over (or the broker failed): nothing to ack
          input.ack(message);
          if (++moved === MESSAGES) finish();
        });
      },
      { noAck: false },
    );
  } else {
    // Confirms may come out of order: ack, with `multiple`, the longest run of confirmed messages from the oldest.
    const confirmed = new Set<number>();
    let next = 1; // the oldest delivery tag not acked yet
    let scheduled = false;
    flush = (): void => {
      scheduled = false;
      if (finished) return;
      let last = 0;
      while (confirmed.delete(next)) last = next++;
      if (last > 0) input.ack({ fields: { deliveryTag: last } } as ConsumeMessage, true);
    };
    await input.consume(
      from,
      (message) => {
        if (message === null || taken === MESSAGES) return;
        taken += 1;
        const tag = message.fields.deliveryTag;
        output.sendToQueue(to, message.content, { persistent: true }, (error) => {
          if (error || finished) return;
          confirmed.add(tag);
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
          if (++moved === MESSAGES) finish();
        });
      },
      { noAck: false },
    );
  }
  await done;
  flush();
  finished = true;
  const seconds = (performance.now() - started) / 1000;
  // Let the last acks reach the queue (a quorum queue applies them after a channel's close otherwise returns them);
  // closing the channel first makes sure the broker took every ack before the connection goes.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await input.close();
  await consuming.close();
  await publishing.close();
  return seconds;
}

/** Seconds to move every message from `from` to `to` through a one-stage pass-through node. */
async function runNode(
  adapter: RabbitMqStreamAdapter,
  from: string,
  to: string,
  batchSize: number,
): Promise<number> {
  const name = `${RUN}-${adapter.options.queueType}-PASS`;
  const system = defineSystem({
    name: 'bench',
    nodes: [
      {
        name,
        source: from,
        dest: to,
        codec: bytesCodec,
        batchSize,
        batchTimeoutMs: 20,
        transform: (body: Uint8Array) => body,
      },
    ],
  });
  let moved = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const counter: BatchInterceptor = {
    async interceptBatch(_info, next) {
      const outcome = await next();
      moved += outcome.processed;
      if (moved >= MESSAGES) finish();
      return outcome;
    },
  };
  const node = createNode(system, name, { adapter, interceptors: [counter] });
  const started = performance.now();
  await node.start();
  await done;
  const seconds = (performance.now() - started) / 1000;
  await node.drain(10_000);
  return seconds;
}

/** Messages per second through three pass-through nodes, A -> B -> C -> D. */
async function runPipeline(adapter: RabbitMqStreamAdapter, url: string): Promise<number> {
  const type = adapter.options.queueType;
  const queues = ['p0', 'p1', 'p2', 'p3'].map((q) => `${RUN}-${type}-${q}`);
  for (const queue of queues) await adapter.declareQueue(queue);
  await fill(url, queues[0]!);
  const nodes = [0, 1, 2].map((i) => ({
    name: `${RUN}-${type}-STAGE${i}`,
    source: queues[i]!,
    dest: queues[i + 1]!,
    codec: bytesCodec,
    batchSize: 100,
    batchTimeoutMs: 20,
    transform: (body: Uint8Array) => body,
  }));
  const system = defineSystem({ name: 'bench-pipeline', nodes });
  let arrived = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const last: BatchInterceptor = {
    async interceptBatch(_info, next) {
      const outcome = await next();
      arrived += outcome.processed;
      if (arrived >= MESSAGES) finish();
      return outcome;
    },
  };
  const started = performance.now();
  const running = nodes.map((node, i) =>
    createNode(system, node.name, { adapter, interceptors: i === 2 ? [last] : [] }),
  );
  for (const node of running) await node.start();
  await done;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(running.map((node) => node.drain(10_000)));
  return MESSAGES / seconds;
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
      'STAGE0-fail',
      'STAGE1-fail',
      'STAGE2-fail',
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
        'per-round ratios against the faster loop), prefetch 2 x batch size',
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
    await fill(url, a);
    let forward = true;
    const move = async (contender: Contender, batchSize: number): Promise<number> => {
      const [from, to] = forward ? [a, b] : [b, a];
      forward = !forward;
      const seconds =
        contender === 'node'
          ? await runNode(adapter, from, to, batchSize)
          : await runRaw(url, from, to, batchSize * 2, contender === 'raw-multiple');
      return MESSAGES / seconds;
    };
    const sizes: Record<string, unknown> = {};
    const contenders: Contender[] = ['node', 'raw-each', 'raw-multiple'];
    for (const batchSize of BATCH_SIZES) {
      for (const contender of contenders) await move(contender, batchSize); // warm-up
      const rates: Record<Contender, number[]> = { node: [], 'raw-each': [], 'raw-multiple': [] };
      const ratios: number[] = [];
      const ratiosVsEach: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Each round runs the three back to back, in an order that rotates: a round's ratio compares runs seconds
        // apart, so a busy machine's swings mostly cancel out of it.
        const round: Partial<Record<Contender, number>> = {};
        for (let k = 0; k < contenders.length; k++) {
          const contender = contenders[(r + k) % contenders.length]!;
          round[contender] = await move(contender, batchSize);
          rates[contender].push(round[contender]);
        }
        ratios.push(round.node! / Math.max(round['raw-each']!, round['raw-multiple']!));
        ratiosVsEach.push(round.node! / round['raw-each']!);
      }
      const node = median(rates.node);
      const each = median(rates['raw-each']);
      const multiple = median(rates['raw-multiple']);
      const ratio = median(ratios);
      console.log(
        `  batch ${String(batchSize).padStart(4)}  node ${formatRate(node).padStart(9)}   ` +
          `raw ack-each ${formatRate(each).padStart(9)}   raw ack-multiple ${formatRate(multiple).padStart(9)}   ` +
          `ratio ${round(ratio)} (vs ack-each ${round(median(ratiosVsEach))})`,
      );
      sizes[String(batchSize)] = {
        nodeMsgPerSec: Math.round(node),
        rawAckEachMsgPerSec: Math.round(each),
        rawAckMultipleMsgPerSec: Math.round(multiple),
        ratio: round(ratio),
        ratioVsAckEach: round(median(ratiosVsEach)),
      };
    }
    results.batchSizes = sizes;
    const pipeline = await runPipeline(adapter, url);
    console.log(`  3-stage pipeline, batch 100: ${formatRate(pipeline)} end to end`);
    results.pipeline3MsgPerSec = Math.round(pipeline);
  } finally {
    await adapter.close();
  }
  return results;
}
