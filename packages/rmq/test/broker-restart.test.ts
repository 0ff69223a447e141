/**
 * Against a RabbitMQ of this file's own (so the shared broker is never disturbed): the broker killed and restarted in
 * the middle of a run, and a delivery held past the broker's consumer_timeout. Sequential, in one file.
 */
import {
  createNode,
  defaultMaxUnacked,
  defineSystem,
  defaultBatchesInFlight,
  jsonCodec,
} from '@monomyth/node';
import type { Node } from '@monomyth/node';
import type { Delivery } from '@monomyth/node/adapter';
import { RabbitMqServer } from '@monomyth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RabbitMqStreamAdapter } from '../src/index.js';
import {
  collect,
  openedInTest,
  publishValues,
  recordingLogger,
  stopAll,
  uniqueName,
  until,
  valuesOf,
} from './helpers.js';

/** The broker closes a channel whose delivery stays unacknowledged this long. */
const CONSUMER_TIMEOUT_MS = 3_000;

let server: RabbitMqServer;
let savedErlArgs: string | undefined;
const resources = openedInTest();

/** An adapter on this file's broker that keeps its log lines in `logLines`. */
function open(logLines: string[] = []): Promise<RabbitMqStreamAdapter> {
  return resources.open({
    url: server.url,
    reconnect: { minDelayMs: 100, maxDelayMs: 1_000 },
    logger: recordingLogger(logLines),
  });
}

beforeAll(async () => {
  // RabbitMQ 3.10 looks for expired deliveries on each channel tick, every 60 s by default: tick every 500 ms here.
  savedErlArgs = process.env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS;
  process.env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS = '-rabbit channel_tick_interval 500';
  server = await RabbitMqServer.start({
    config: { consumer_timeout: String(CONSUMER_TIMEOUT_MS) },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (savedErlArgs === undefined) delete process.env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS;
  else process.env.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS = savedErlArgs;
});

describe('rabbitmq connection loss', () => {
  it(
    'restart - the broker stopped and started mid-run: nodes pause and resume, every message arrives, duplicates stay within what was in flight',
    { timeout: 150_000 },
    async () => {
      const MESSAGES = 10_000;
      const BATCH = 100;
      const MAX_UNACKED = defaultMaxUnacked(BATCH, defaultBatchesInFlight(BATCH)); // the node's default
      const READER_UNACKED = 500;
      const logLines: string[] = [];
      const adapter = await open(logLines);
      const id = uniqueName('R');
      const [a, b] = [`${id}-A`, `${id}-B`];
      const system = defineSystem({
        name: 'restart',
        nodes: [
          { name: a, batchSize: BATCH, transform: (n: number) => n * 3 },
          { name: b, batchSize: BATCH, transform: (n: number) => n + 1 },
        ],
      });
      const input = `START-to-${a}`;
      const middle = `${a}-to-${b}`;
      const output = `${b}-to-END`;
      await publishValues(
        adapter,
        input,
        Array.from({ length: MESSAGES }, (_, i) => i),
      );
      const nodes: Node[] = [];
      for (const type of [a, b])
        nodes.push(await resources.run(createNode(system, type, { adapter })));

      // Read the output as it comes, through the restart; tell the test when enough has passed to pull the plug.
      const distinct = new Set<number>();
      let counted = 0;
      let midRun!: () => void;
      const reachedMidRun = new Promise<void>((resolve) => (midRun = resolve));
      const reading = collect(
        adapter,
        output,
        (got: readonly Delivery[]) => {
          for (; counted < got.length; counted++) {
            distinct.add(jsonCodec.decode(got[counted]!.body) as number);
          }
          if (distinct.size >= MESSAGES / 5) midRun();
          return distinct.size >= MESSAGES;
        },
        140_000,
        READER_UNACKED,
      );
      reading.catch(() => {});
      await reachedMidRun;
      expect(distinct.size).toBeLessThan(MESSAGES);
      // A clean stop (SIGTERM): the broker writes what it acknowledged before it goes. (After a crash, SIGKILL, it
      // may also deliver again messages whose acks it had not written yet: none is lost, but the duplicates are no
      // longer bounded by what the clients held. See docs/rabbitmq.md.)
      await server.halt();
      await server.restart();
      const received = await reading;

      const values = valuesOf(received) as number[];
      expect(new Set(values)).toEqual(
        new Set(Array.from({ length: MESSAGES }, (_, i) => i * 3 + 1)),
      );
      const duplicates = values.length - MESSAGES;
      // What can come again: each message a node held unacknowledged, up to twice (its outputs, unconfirmed when the
      // connection dropped, are published again after the reconnect, and the input itself is redelivered and
      // transformed again), and what the reader held when the connection dropped.
      expect(duplicates).toBeLessThanOrEqual(2 * (2 * MAX_UNACKED) + READER_UNACKED);
      console.log(
        `broker restart: ${values.length} outputs for ${MESSAGES} inputs, ${duplicates} duplicates`,
      );
      expect(nodes.map((node) => node.state)).toEqual(['running', 'running']);
      expect(logLines).toContain('RabbitMQ connection lost; reconnecting');
      expect(logLines).toContain('RabbitMQ connection restored');
      await stopAll(nodes);
      for (const queue of [input, middle]) {
        // A quorum queue counts its consumers a moment after they leave (a consumer left behind stays counted).
        await until(
          `no consumers on ${queue}`,
          async () => (await adapter.queueStats(queue)).consumers === 0,
          5_000,
        );
        expect(await adapter.queueStats(queue)).toEqual({ ready: 0, unacked: 0, consumers: 0 });
      }
    },
  );

  it(
    'consumer_timeout - a transform longer than the broker allows: the channel is reopened, the message comes again, the node keeps running',
    { timeout: 30_000 },
    async () => {
      const logLines: string[] = [];
      const adapter = await open(logLines);
      const type = uniqueName('SLOW');
      const seen: [string, boolean][] = [];
      let slowCalls = 0;
      const system = defineSystem({
        name: 'slow',
        nodes: [
          {
            name: type,
            batchSize: 1,
            // One batch at a time: the slow one alone is held when the broker gives up on it, so one duplicate.
            batchesInFlight: 1,
            transform: async (value: string, ctx) => {
              seen.push([value, ctx.redelivered]);
              if (value === 'slow' && ++slowCalls === 1) {
                // Longer than consumer_timeout (plus a tick): the broker gives up on this delivery meanwhile.
                await new Promise((resolve) => setTimeout(resolve, CONSUMER_TIMEOUT_MS + 2_000));
              }
              return value.toUpperCase();
            },
          },
        ],
      });
      const source = `START-to-${type}`;
      await publishValues(adapter, source, ['slow', 'a', 'b']);
      const node = await resources.run(createNode(system, type, { adapter }));

      const outputs = valuesOf(
        await collect(adapter, `${type}-to-END`, (got) => got.length >= 4, 20_000),
      );
      // The slow attempt still finished and published (its late ack was a no-op), and the redelivery was processed
      // again: one duplicate, as at-least-once allows.
      expect([...outputs].sort()).toEqual(['A', 'B', 'SLOW', 'SLOW']);
      expect(seen[0]).toEqual(['slow', false]);
      expect(seen).toContainEqual(['slow', true]);
      expect(node.state).toBe('running');
      expect(logLines).toContain(
        'RabbitMQ consumer channel closed; its unacknowledged messages will be redelivered',
      );
      expect(logLines).toContain('RabbitMQ consumer resumed');
      await node.drain(5_000);
      // A quorum queue counts its consumers a moment after they leave.
      await until(
        'the consumer gone',
        async () => (await adapter.queueStats(source)).consumers === 0,
        5_000,
      );
      expect(await adapter.queueStats(source)).toEqual({ ready: 0, unacked: 0, consumers: 0 });
    },
  );
});
