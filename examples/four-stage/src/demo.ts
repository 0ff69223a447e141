/**
 * The Monomyth demo: the original's 4-stage example on a real cluster on this machine. A master and two workers speak
 * MMOP/1 over tcp loopback; the nodes are started through the control client; 10,000 inputs go through the four
 * stages, with a live line per stage; every output is checked against its input; a summary closes.
 *
 * By default the workers run in this process and share the in-memory adapter (nothing to install). With
 * `--amqp URL` (or MONOMYTH_AMQP_URL) the master and the workers are separate processes and the queues live on RabbitMQ.
 *
 *   node examples/four-stage/dist/demo.js [--inputs 10000] [--nodes 2] [--amqp amqp://guest:guest@127.0.0.1:5672]
 *                                         [--http 127.0.0.1:9465]
 *
 * With `--http` the master serves its dashboard (docs/observability.md): the demo prints its address, and once the
 * run is over keeps the cluster up for it until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { ControlClient } from '@monomyth/control';
import { parseHttpAddress } from '@monomyth/cli-kit';
import { jsonCodec } from '@monomyth/node';
import { isQueueStatsCapable } from '@monomyth/node/adapter';
import type { Delivery } from '@monomyth/node/adapter';
import system from './system.js';
import { inProcessCluster, processCluster } from './cluster.js';
import { checkOutputs, randomInputs } from './inputs.js';
import { StageProgress } from './progress.js';

const { values: flags } = parseArgs({
  options: {
    inputs: { type: 'string', default: '10000' },
    nodes: { type: 'string', default: '2' },
    amqp: { type: 'string', default: process.env.MONOMYTH_AMQP_URL },
    http: { type: 'string' },
  },
});
const INPUTS = Number(flags.inputs);
const NODES_PER_TYPE = Number(flags.nodes);
const INPUT_QUEUE = 'START-to-TEST-NODE1';
const OUTPUT_QUEUE = 'TEST-NODE4-to-END';
const live = process.stdout.isTTY;

function say(line: string): void {
  console.log(line);
}

const http = flags.http === undefined ? undefined : parseHttpAddress(flags.http);
const cluster = flags.amqp ? await processCluster(flags.amqp, http) : await inProcessCluster(http);
say(`cluster    ${cluster.description}`);
say(`master     ${cluster.master}`);
if (cluster.dashboard) say(`dashboard  ${cluster.dashboard}`);
const control = new ControlClient({ master: cluster.master, timeoutMs: 10_000 });
while ((await control.workers().catch(() => [])).length < cluster.workerIds.length) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
say(`workers    ${cluster.workerIds.join(', ')} registered with ${system.types.length} node types`);

for (const type of system.types) {
  const result = await control.startNode(type, NODES_PER_TYPE);
  const placement = result.started.map((node) => node.workerId.replace('demo-', '')).join(', ');
  say(`start      ${type} x${result.started.length} on ${placement}`);
}

// The client side of the data plane: put the inputs on the first queue, read the results from the last.
const { io } = cluster;
await io.declareQueue(INPUT_QUEUE);
await io.declareQueue(OUTPUT_QUEUE);
const inputs = randomInputs(INPUTS);
const started = performance.now();
for (let i = 0; i < inputs.length; i += 500) {
  await io.publish(
    inputs
      .slice(i, i + 500)
      .map((input) => ({ queue: INPUT_QUEUE, body: jsonCodec.encode(input) })),
  );
}
say(
  `input      ${inputs.length} random base-36 strings on ${INPUT_QUEUE} in ${Math.round(performance.now() - started)} ms\n`,
);

const outputs: string[] = [];
const consumer = await io.consume(OUTPUT_QUEUE, { maxUnacked: 1000 });
const progress = new StageProgress(system.types);
let lastPrinted = 0;
const deadline = AbortSignal.timeout(120_000);
while (outputs.length < inputs.length && !deadline.aborted) {
  const batch: Delivery[] = await consumer.nextBatch({
    max: 1000,
    timeoutMs: 20,
    signal: AbortSignal.any([deadline, AbortSignal.timeout(250)]),
  });
  for (const delivery of batch) outputs.push(jsonCodec.decode(delivery.body) as string);
  await consumer.ack(batch);
  if (performance.now() - lastPrinted >= (live ? 100 : 500)) {
    lastPrinted = performance.now();
    const line = progress.line(await control.workers(), outputs.length);
    if (line !== undefined && live) process.stdout.write(`\r${line}`);
    else if (line !== undefined) say(line);
  }
}
const elapsed = (performance.now() - started) / 1000;
if (live) process.stdout.write('\n');

// Let a last heartbeat bring the final counters, then report.
await new Promise((resolve) => setTimeout(resolve, 300));
const finalWorkers = await control.workers();
const totals = StageProgress.processed(finalWorkers);
const check = checkOutputs(inputs, outputs);
let failed = 0;
for (const type of system.types) {
  await io.declareQueue(`${type}-fail`);
  if (isQueueStatsCapable(io)) failed += (await io.queueStats(`${type}-fail`)).ready;
}

say('\nsummary');
say(`  inputs      ${inputs.length}`);
say(
  `  outputs     ${outputs.length} (${check.missing} missing, ${check.unexpected} unexpected, ${check.duplicates} duplicates)`,
);
say(`  failures    ${failed} in the fail queues`);
for (const type of system.types) {
  const processed = totals.get(type) ?? 0;
  say(`  ${type}  ${String(processed).padStart(6)} processed`);
}
say(
  `  time        ${elapsed.toFixed(2)} s, ${Math.round(outputs.length / elapsed)} messages/s end to end`,
);
for (const worker of finalWorkers) {
  say(
    `  ${worker.workerId}  ${worker.nodes.length} nodes, ${worker.nodes.reduce((sum, node) => sum + node.processed, 0)} messages processed`,
  );
}
const ok = check.missing === 0 && check.unexpected === 0 && failed === 0;
say(
  ok
    ? '\nEvery output checked: the cluster did its work.'
    : '\nThe check FAILED: see the counts above.',
);

await consumer.close();
control.close();
if (cluster.dashboard) {
  say(`\nThe dashboard stays up on ${cluster.dashboard}: Ctrl-C to stop.`);
  await new Promise((resolve) => process.once('SIGINT', resolve));
}
await cluster.close();
process.exitCode = ok ? 0 : 1;
