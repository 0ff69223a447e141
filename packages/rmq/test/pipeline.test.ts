import { createNode, defineSystem } from '@monomyth/node';
import type { Node } from '@monomyth/node';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { RabbitMqStreamAdapter } from '../src/index.js';
import { collect, publishValues, stopAll, uniqueName, until, valuesOf } from './helpers.js';

const MESSAGES = 50_000;

let adapter: RabbitMqStreamAdapter | undefined;
let nodes: Node[] = [];

afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
  await adapter?.close();
  adapter = undefined;
});

describe('rabbitmq pipeline', () => {
  it(
    'pipeline - three nodes move 50,000 messages; every output arrives once and the broker counts agree',
    { timeout: 120_000 },
    async () => {
      adapter = new RabbitMqStreamAdapter({ url: inject('amqpUrl'), connectionName: 'pipeline' });
      await adapter.open();
      const id = uniqueName('P');
      const [a, b, c] = [`${id}-A`, `${id}-B`, `${id}-C`];
      const system = defineSystem({
        name: 'pipeline',
        nodes: [
          { name: a, batchSize: 100, transform: (n: number) => n + 1 },
          { name: b, batchSize: 100, transform: (n: number) => n * 2 },
          { name: c, batchSize: 100, transform: (n: number) => n - 1 },
        ],
      });
      const input = `START-to-${a}`;
      const queues = [input, `${a}-to-${b}`, `${b}-to-${c}`];
      const output = `${c}-to-END`;
      await publishValues(
        adapter,
        input,
        Array.from({ length: MESSAGES }, (_, i) => i),
      );
      expect((await adapter.queueStats(input)).ready).toBe(MESSAGES);

      for (const type of [a, b, c]) {
        const node = createNode(system, type, { adapter, worker: 'test-worker' });
        nodes.push(node);
        await node.start();
      }
      await adapter.declareQueue(output);
      // The broker sends no event when a queue reaches a count: poll its count, with a deadline.
      await until(
        `${MESSAGES} messages on ${output}`,
        async () => (await adapter!.queueStats(output)).ready >= MESSAGES,
        100_000,
        100,
      );
      await stopAll(nodes);
      // A quorum queue counts its consumers a moment after they leave.
      for (const queue of queues) {
        await until(
          `no consumers on ${queue}`,
          async () => (await adapter!.queueStats(queue)).consumers === 0,
          5_000,
        );
      }

      for (const queue of queues) {
        expect(await adapter.queueStats(queue), queue).toEqual({
          ready: 0,
          unacked: 0,
          consumers: 0,
        });
      }
      expect(await adapter.queueStats(output)).toEqual({
        ready: MESSAGES,
        unacked: 0,
        consumers: 0,
      });
      for (const type of [a, b, c]) {
        expect(await adapter.queueStats(`${type}-fail`)).toMatchObject({ ready: 0 });
      }
      expect(nodes.map((node) => node.stats().processed)).toEqual([MESSAGES, MESSAGES, MESSAGES]);
      expect(nodes.map((node) => node.stats().failed)).toEqual([0, 0, 0]);

      const outputs = valuesOf(
        await collect(adapter, output, (got) => got.length >= MESSAGES, 60_000, 1000),
      ) as number[];
      expect(outputs).toHaveLength(MESSAGES);
      // One stage at a time keeps queue order, so outputs come in input order: (i + 1) * 2 - 1.
      expect(outputs).toEqual(Array.from({ length: MESSAGES }, (_, i) => 2 * i + 1));
      expect(await adapter.queueStats(output)).toMatchObject({ ready: 0, unacked: 0 });
    },
  );
});
