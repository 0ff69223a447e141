/**
 * A RabbitMQ cluster loses nothing: three RabbitMQ nodes on this machine (RabbitMqCluster), the 4-stage example run by
 * a monomyth-master and two monomyth-worker processes on quorum queues, each worker given all three AMQP URLs. Under
 * load, the node the workers are connected to (and on which every queue's leader lives) is killed with SIGKILL. The
 * workers move to the next node, the queues elect new leaders on the two nodes left, and every confirmed input
 * arrives at the end queue; duplicates stay within what the nodes held unacknowledged when the node died. Then the
 * killed node is started again and rejoins the cluster.
 *
 * The test's own publisher and reader use the two nodes that stay up, so what they confirm and count does not
 * depend on the failover being tested.
 *
 * No node may crash on the way: a publish the broker nacks while a queue elects its new leader is sent again by the
 * adapter (on a new channel: on RabbitMQ 3.10 a channel that first published to a queue while its leader was dead
 * keeps nacking it), not failed. About 60 s (three extra brokers, formed in about 20 s). See docs/rabbitmq.md.
 */
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RabbitMqCluster } from '@monomyth/testing';
import type { WorkerInfo } from '@monomyth/mmop';
import { checkOutputs, randomInputs } from '../../../examples/four-stage/src/inputs.js';
import { FOUR_STAGE_SYSTEM, Processes, control, eventually } from './processes.js';

const TYPES = ['TEST-NODE1', 'TEST-NODE2', 'TEST-NODE3', 'TEST-NODE4'];
const INPUT = 'START-to-TEST-NODE1';
const OUTPUT = 'TEST-NODE4-to-END';
/**
 * The 4-stage example's nodes hold at most their default maxUnacked unacknowledged: (batchesInFlight + 1) x batch
 * size, where the default batchesInFlight at batch 10 is 13 (enough for 128 messages). Kept in step with
 * @monomyth/node's defaultBatchesInFlight by hand (this app does not depend on it).
 */
const MAX_UNACKED_PER_NODE = (13 + 1) * 10;
const WORKERS = 2;
const FIRST_INPUTS = 3000;
const LATER_INPUTS = 1000;
const KILL_AFTER_OUTPUTS = 1000;
/** A reader with nothing for this long subscribes again (see readOutputs). */
const STALL_MS = 3000;

const processes = new Processes();
let cluster: RabbitMqCluster;

beforeAll(async () => {
  cluster = await RabbitMqCluster.start({ onLog: (line) => console.log(`[cluster] ${line}`) });
}, 180_000);

afterAll(async () => {
  processes.killAll();
  await cluster?.stop();
}, 60_000);

/**
 * Publishes every input until the cluster confirms it, as a careful producer does: a queue whose leader just died
 * nacks what it had not yet committed, and those are sent again on a new connection, alternating between the two
 * nodes that stay up (a channel that knew the old leader can go on nacking for a long while on RabbitMQ 3.10). A
 * nacked message may still have been stored, so a resend can make a duplicate; the count of resends is returned.
 */
async function publishInputs(inputs: readonly string[]): Promise<number> {
  let pending = inputs;
  let resent = 0;
  const deadline = Date.now() + 30_000;
  for (let round = 0; pending.length > 0; round++) {
    if (round > 0) {
      if (Date.now() > deadline)
        throw new Error(`${pending.length} inputs still nacked after 30 s`);
      resent += pending.length;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const connection = await connect(cluster.urls[1 + (round % 2)]!);
    connection.on('error', () => {});
    const channel = await connection.createConfirmChannel();
    const nacked: string[] = [];
    await Promise.all(
      pending.map(
        (input) =>
          new Promise<void>((resolve) =>
            channel.sendToQueue(
              INPUT,
              Buffer.from(JSON.stringify(input)),
              { persistent: true },
              (error) => {
                if (error) nacked.push(input);
                resolve();
              },
            ),
          ),
      ),
    );
    pending = nacked;
    await connection.close();
  }
  return resent;
}

interface Reading {
  readonly outputs: string[];
  /** When each output arrived (ms since the epoch). */
  readonly times: number[];
  readonly done: Promise<void>;
  /** How often the reader had to subscribe again. */
  readonly resubscribed: number;
}

/**
 * Reads outputs until `count` have arrived, acking them; calls `onEach` with the count so far. A consumer on a
 * surviving node can stop receiving when the queue's leader dies with another node (RabbitMQ 3.10 does not always
 * move it to the new leader): after `STALL_MS` without a message, the reader subscribes again on a new connection,
 * alternating between the two nodes that stay up.
 */
async function readOutputs(
  count: number,
  timeoutMs: number,
  onEach: (received: number) => void,
): Promise<Reading> {
  const outputs: string[] = [];
  const times: number[] = [];
  let resubscribed = 0;
  let connection: ChannelModel | undefined;
  const subscribe = async (): Promise<void> => {
    const previous = connection;
    connection = undefined;
    await previous?.close().catch(() => {});
    const next = await connect(cluster.urls[2 - (resubscribed % 2)]!);
    next.on('error', () => {});
    const channel = await next.createChannel();
    channel.on('error', () => {});
    await channel.prefetch(1000);
    connection = next;
    await channel.consume(OUTPUT, (message) => {
      if (!message) return;
      outputs.push(JSON.parse(message.content.toString()) as string);
      times.push(Date.now());
      channel.ack(message);
      onEach(outputs.length);
    });
  };
  await subscribe();
  const done = new Promise<void>((resolve, reject) => {
    const started = Date.now();
    let seen = 0;
    let lastProgress = Date.now();
    const watch = setInterval(() => {
      if (outputs.length >= count) {
        clearInterval(watch);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(watch);
        reject(new Error(`${outputs.length} of ${count} outputs within ${timeoutMs} ms`));
      } else if (outputs.length > seen) {
        seen = outputs.length;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > STALL_MS) {
        lastProgress = Date.now();
        resubscribed += 1;
        void subscribe().catch(() => {});
      }
    }, 50);
  }).finally(() => connection?.close().catch(() => {}));
  return {
    outputs,
    times,
    done,
    get resubscribed() {
      return resubscribed;
    },
  };
}

/** What is left in the end queue after a quiet spell: late duplicates. */
async function lateOutputs(quietMs: number): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, quietMs));
  const connection = await connect(cluster.urls[2]!);
  const channel = await connection.createChannel();
  const late: string[] = [];
  for (;;) {
    const message = await channel.get(OUTPUT);
    if (message === false) break;
    late.push(JSON.parse(message.content.toString()) as string);
    channel.ack(message);
  }
  await connection.close();
  return late;
}

/** The JSON log lines of a process whose `msg` is `message`. */
function logged(output: string, message: string): { url?: string; time: number }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; url?: string; time: number })
    .filter((line) => line.msg === message);
}

function redacted(url: string): string {
  return new URL(url.replace(':guest@', ':***@')).toString();
}

describe('a three-node RabbitMQ cluster', () => {
  it('cluster - the node the workers use is killed under load: every confirmed input arrives, duplicates bounded by what was in flight', async () => {
    expect(await cluster.runningNodes()).toHaveLength(3);
    // Lenient liveness: three brokers and two workers share two cores, and a failover is not a lost worker.
    const { master } = await processes.startMaster({ heartbeatMs: 500, heartbeatMisses: 20 }, [], {
      timeoutMs: 20_000,
    });
    const workers = Array.from({ length: WORKERS }, (_, i) =>
      processes.start('worker', [
        '--master',
        master,
        '--system',
        FOUR_STAGE_SYSTEM,
        '--name',
        `cluster-${i}`,
        '--amqp',
        cluster.urls.join(','),
        '--queue-type',
        'quorum',
      ]),
    );
    await eventually(
      () => control<WorkerInfo[]>(master, ['workers']),
      (list) => list.length === WORKERS,
      20_000,
    );
    // The nodes declare their queues through node 0, so every queue's leader is on the node that will be killed.
    for (const type of TYPES) await control(master, ['start', type, '-n', String(WORKERS)]);
    // Both workers connected to the first URL that answered: node 0.
    for (const worker of workers) {
      const connected = logged(worker.output(), 'RabbitMQ connected');
      expect(connected.map((line) => line.url)).toEqual([
        redacted(cluster.urls[0]!),
        redacted(cluster.urls[0]!),
      ]);
    }

    const inputs = randomInputs(FIRST_INPUTS + LATER_INPUTS);
    let killedAt = 0;
    let killed!: (done: Promise<void>) => void;
    const killing = new Promise<void>((resolve) => (killed = resolve));
    const reading = await readOutputs(inputs.length, 60_000, (received) => {
      if (received !== KILL_AFTER_OUTPUTS) return;
      killedAt = Date.now();
      killed(cluster.kill(0));
    });
    const started = Date.now();
    let resent = await publishInputs(inputs.slice(0, FIRST_INPUTS));
    // More inputs once the node is gone: the cluster still takes them, and they arrive too.
    await killing;
    resent += await publishInputs(inputs.slice(FIRST_INPUTS));
    await reading.done.catch(async (error: unknown) => {
      // What the queues and the workers were doing, for whoever reads a failed run.
      const queues = await cluster
        .node(2)
        .rabbitmqctl([
          'list_queues',
          'name',
          'leader',
          'messages_ready',
          'messages_unacknowledged',
          'consumers',
        ])
        .catch((e: unknown) => String(e));
      console.log(`[cluster] queues as node 2 sees them:\n${queues}`);
      for (const worker of workers)
        console.log(
          `[cluster] worker log (last lines):\n${worker.output().split('\n').slice(-25).join('\n')}`,
        );
      throw error;
    });
    const late = await lateOutputs(1000);
    const outputs = [...reading.outputs, ...late];
    const result = checkOutputs(inputs, outputs);

    // Every worker moved to the next URL in its list: node 1.
    const restored = workers.flatMap((worker) =>
      logged(worker.output(), 'RabbitMQ connection restored'),
    );
    expect(restored.length).toBeGreaterThanOrEqual(2 * WORKERS);
    for (const line of restored) expect(line.url).toBe(redacted(cluster.urls[1]!));
    const reconnectedMs = Math.max(...restored.map((line) => line.time)) - killedAt;
    const after = reading.times.filter((time) => time >= killedAt);
    let stallMs = 0;
    for (let i = 1; i < after.length; i++) stallMs = Math.max(stallMs, after[i]! - after[i - 1]!);
    // What can come out twice: each node's unacknowledged messages when the node died, and inputs sent again.
    const inFlight = TYPES.length * WORKERS * MAX_UNACKED_PER_NODE + resent;
    const lines = (message: string): number =>
      workers.reduce((sum, worker) => sum + logged(worker.output(), message).length, 0);
    const crashes = lines('node crashed; restarting it');
    const nackRounds = lines('RabbitMQ nacked messages; sending them again');
    console.log(
      `[cluster] inputs ${inputs.length}, outputs ${outputs.length}, missing ${result.missing}, ` +
        `unexpected ${result.unexpected}, duplicates ${result.duplicates} (bound ${inFlight}, ${resent} inputs ` +
        `nacked and sent again), ` +
        `workers reconnected ${reconnectedMs} ms after the kill, longest pause in outputs ${stallMs} ms ` +
        `(reader subscribed again ${reading.resubscribed} times), node crashes ${crashes}, ` +
        `nacked publishes sent again by the nodes ${nackRounds} times, ` +
        `run ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(result.missing).toBe(0);
    expect(result.unexpected).toBe(0);
    expect(result.duplicates).toBeLessThanOrEqual(inFlight);
    // A leader election is not a failure: nodes resend what was nacked instead of stopping.
    expect(crashes).toBe(0);
    expect(await cluster.runningNodes()).toHaveLength(2);
    for (const worker of workers) expect(worker.exitCode).toBe(null);

    // The killed node, started again on its data, rejoins the cluster by itself.
    await cluster.restart(0);
    expect(await cluster.runningNodes()).toHaveLength(3);
  }, 150_000);
});
