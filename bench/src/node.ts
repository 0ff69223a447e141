/**
 * `pnpm bench node`: messages per second through a one-stage no-op node on the in-memory adapter, beside a bare loop
 * over the same adapter doing the same work (pull a batch, publish one output per message, ack the batch), in the same
 * run. The ratio is the node's overhead: batching, per-message contexts, failure bookkeeping, interceptors, counters.
 *
 * Two pairs: `bytes` (bodies passed through: the node's own cost) and `json` (each body decoded and encoded again, by
 * the node's codec and by the bare loop alike). Goal: ratio >= 0.8 at batch size 100.
 *
 * A third contender is the same node with a worker's Prometheus metrics on (`WorkerMetrics`' batch interceptor, as
 * `monomyth-worker --http` installs it): `metricsCost` is how much slower it is than the node without them, in percent
 * (median of the rounds' figures; goal under 3).
 *
 * Knobs, for looking closer: BENCH_CODECS (`bytes,json`), BENCH_BATCH_SIZE (100), BENCH_ROUNDS (15), BENCH_ROUND_MS (300), BENCH_MESSAGES
 * (20000 circulating). On a busy machine the rates swing; compare ratios, and rerun.
 */
import { createNode, defineSystem, jsonCodec } from '@monomyth/node';
import type { OutgoingMessage } from '@monomyth/node/adapter';
import { MemoryStreamAdapter } from '@monomyth/node/memory';
import { WorkerMetrics } from '@monomyth/worker';
import type { BatchInterceptor } from '@monomyth/node';
import { formatRate, median, round } from './measure.js';

/** Messages circulating: the queue never runs dry and never grows, so memory stays flat across rounds. */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
/** About 100 bytes of JSON, like the RabbitMQ baselines in the toolchain notes. */
const SAMPLE = {
  id: 123456,
  user: 'user-0042',
  action: 'purchase',
  amount: 19.99,
  tags: ['a', 'b'],
};

type CodecName = 'bytes' | 'json';

/**
 * One queue, `loop`, filled once. Both contenders read it and publish every message back onto it: a one-stage node
 * whose dest is its source. The work per message is a full consume, publish and ack, as in a pipeline, with nothing
 * accumulating anywhere.
 */
async function filledAdapter(): Promise<MemoryStreamAdapter> {
  const adapter = new MemoryStreamAdapter({ maxQueueLength: MESSAGES * 2 });
  await adapter.open();
  await adapter.declareQueue('loop');
  const body = jsonCodec.encode(SAMPLE);
  for (let sent = 0; sent < MESSAGES; sent += 1000) {
    await adapter.publish(Array.from({ length: 1000 }, () => ({ queue: 'loop', body })));
  }
  return adapter;
}

/** Messages per second through a one-stage no-op node over `ms` milliseconds. */
async function runNode(
  adapter: MemoryStreamAdapter,
  codec: CodecName,
  ms: number,
  interceptors: readonly BatchInterceptor[] = [],
): Promise<number> {
  const system = defineSystem({
    name: 'bench',
    nodes: [
      {
        name: 'NOOP',
        source: 'loop',
        dest: 'loop',
        codec,
        batchSize: BATCH_SIZE,
        batchTimeoutMs: 10,
        transform: (value: unknown) => value,
      },
    ],
  });
  const node = createNode(system, 'NOOP', { adapter, interceptors: [...interceptors] });
  const started = performance.now();
  await node.start();
  await new Promise((resolve) => setTimeout(resolve, ms));
  // The node's own counter, as heartbeats read it.
  const count = node.stats().processed;
  const seconds = (performance.now() - started) / 1000;
  await node.drain();
  return count / seconds;
}

/** Messages per second through a bare loop doing what the node does: pull, publish each message on, ack the batch. */
async function runBare(
  adapter: MemoryStreamAdapter,
  codec: CodecName,
  ms: number,
): Promise<number> {
  const consumer = await adapter.consume('loop', { maxUnacked: BATCH_SIZE * 2 });
  const started = performance.now();
  const deadline = started + ms;
  let moved = 0;
  let now = started;
  while (now < deadline) {
    const batch = await consumer.nextBatch({ max: BATCH_SIZE, timeoutMs: 10 });
    const out: OutgoingMessage[] = new Array<OutgoingMessage>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const body = batch[i]!.body;
      out[i] = {
        queue: 'loop',
        body: codec === 'json' ? jsonCodec.encode(jsonCodec.decode(body)) : body,
      };
    }
    await adapter.publish(out);
    await consumer.ack(batch);
    moved += batch.length;
    now = performance.now();
  }
  const seconds = (now - started) / 1000;
  await consumer.close();
  return moved / seconds;
}

export async function runNodeBench(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {
    bench: 'node',
    batchSize: BATCH_SIZE,
    circulating: MESSAGES,
  };
  console.log(
    `one-stage no-op node vs a bare loop, in-memory adapter, batch size ${BATCH_SIZE}, ` +
      `${ROUNDS} rounds of ${ROUND_MS} ms each`,
  );
  const codecs = (process.env.BENCH_CODECS?.split(',') ?? ['bytes', 'json']) as CodecName[];
  for (const codec of codecs) {
    const adapter = await filledAdapter();
    await runNode(adapter, codec, ROUND_MS); // warm-up
    await runBare(adapter, codec, ROUND_MS);
    const metrics = new WorkerMetrics({ types: ['NOOP'], defaultMetrics: false });
    const contenders = {
      node: () => runNode(adapter, codec, ROUND_MS),
      metrics: () => runNode(adapter, codec, ROUND_MS, [metrics.interceptor]),
      bare: () => runBare(adapter, codec, ROUND_MS),
    };
    const order = Object.keys(contenders) as (keyof typeof contenders)[];
    const node: number[] = [];
    const bare: number[] = [];
    const ratios: number[] = [];
    const metricsCosts: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Each round measures all three back to back, in an order that rotates; the figures of a round compare runs a
      // few hundred milliseconds apart, so a busy machine's swings cancel out of them.
      const rates: Partial<Record<keyof typeof contenders, number>> = {};
      for (let k = 0; k < order.length; k++) {
        const contender = order[(round + k) % order.length]!;
        rates[contender] = await contenders[contender]();
      }
      node.push(rates.node!);
      bare.push(rates.bare!);
      ratios.push(rates.node! / rates.bare!);
      metricsCosts.push(100 * (1 - rates.metrics! / rates.node!));
    }
    await adapter.close();
    const nodeRate = median(node);
    const bareRate = median(bare);
    const ratio = median(ratios);
    const metricsCost = median(metricsCosts);
    console.log(
      `  ${codec.padEnd(5)} node ${formatRate(nodeRate)}   bare loop ${formatRate(bareRate)}   ` +
        `ratio ${round(ratio)} (median of the rounds' ratios)   metrics cost ${round(metricsCost)}%`,
    );
    results[codec] = {
      nodeMsgPerSec: Math.round(nodeRate),
      bareMsgPerSec: Math.round(bareRate),
      ratio: round(ratio),
      metricsCost: round(metricsCost),
    };
  }
  return results;
}
