/**
 * Overlapped batches on a real RabbitMQ, with confirms held until the test gives them (in any order): a node acks
 * nothing before its outputs are confirmed, acks in delivery order with one `multiple` frame per batch, finishes every
 * batch in flight on drain, and abandons them all to redelivery on stop. Once publishing one call at a time (an
 * adapter wrapper without lanes), once through the adapter's ordered lanes, whose calls overlap on one channel.
 */
import { createNode, defineSystem } from '@monomyth/node';
import type { Node } from '@monomyth/node';
import type { Message } from 'amqplib';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { MockInstance } from 'vitest';
import { ConfirmingAdapter, LaneConfirmingAdapter } from '../../node/test/overlap-helpers.js';
import { RabbitMqStreamAdapter } from '../src/index.js';
import { collect, publishValues, uniqueName, until, valuesOf } from './helpers.js';

let adapter: RabbitMqStreamAdapter | undefined;
let nodes: Node[] = [];

afterEach(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  nodes = [];
  await adapter?.close();
  adapter = undefined;
});

interface Setup {
  readonly confirming: ConfirmingAdapter;
  readonly node: Node;
  readonly source: string;
  readonly output: string;
  readonly rmq: RabbitMqStreamAdapter;
}

async function setup(
  values: readonly number[],
  Confirming: typeof ConfirmingAdapter = ConfirmingAdapter,
): Promise<Setup> {
  const rmq = new RabbitMqStreamAdapter({ url: inject('amqpUrl'), connectionName: 'overlap' });
  adapter = rmq;
  await rmq.open();
  const type = uniqueName('OV');
  const system = defineSystem({
    name: 'overlap',
    nodes: [{ name: type, batchSize: 5, batchesInFlight: 3, transform: (v: number) => v * 10 }],
  });
  const source = `START-to-${type}`;
  await publishValues(rmq, source, values);
  const confirming = new Confirming(rmq);
  const node = createNode(system, type, { adapter: confirming });
  nodes.push(node);
  await node.start();
  return { confirming, node, source, output: `${type}-to-END`, rmq };
}

const input = Array.from({ length: 15 }, (_, i) => i + 1);

/** Every input went through: the source queue is empty (nothing ready, nothing unacked) and the outputs are in order. */
async function expectAllThrough({
  source,
  output,
  rmq,
}: Omit<Setup, 'confirming' | 'node'>): Promise<void> {
  await until(
    'the source queue empty',
    async () => {
      const stats = await rmq.queueStats(source);
      return stats.ready === 0 && stats.unacked === 0;
    },
    5000,
  );
  const out = await collect(rmq, output, (got) => got.length >= 15, 5000);
  expect(valuesOf(out)).toEqual(input.map((v) => v * 10));
}

/** The consumer channel's ack spy saw one `multiple` ack per batch of 5, in delivery order. */
function expectOneAckFramePerBatch(
  ack: MockInstance<(message: Message, allUpTo?: boolean) => void>,
): void {
  expect(
    ack.mock.calls.map(([message, multiple]) => [message.fields.deliveryTag, multiple]),
  ).toEqual([
    [5, true],
    [10, true],
    [15, true],
  ]);
}

describe('rabbitmq overlapped batches', () => {
  it('overlap - acks follow confirms, in delivery order, one multiple frame per batch; batches waiting publish together', async () => {
    const { confirming, node, source, output, rmq } = await setup(input);
    const consumer = confirming.consumers[0]!.inner as unknown as {
      channel: { ack(message: Message, allUpTo?: boolean): void };
    };
    const ack = vi.spyOn(consumer.channel, 'ack');
    await confirming.whenHeld(1);
    await until('three batches in flight', () => node.stats().inFlight === 15, 5000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(confirming.acked()).toEqual([]);
    expect(ack).not.toHaveBeenCalled();
    confirming.confirm(1);
    await until('the next publish', () => confirming.heldCalls[0] === 2, 5000);
    expect(confirming.acked()).toEqual([1, 2, 3, 4, 5]);
    confirming.confirm(2);
    await until('every ack', () => confirming.acked().length === 15, 5000);
    expect(confirming.acked()).toEqual(input);
    expectOneAckFramePerBatch(ack);
    await node.drain(5000);
    await expectAllThrough({ source, output, rmq });
  });

  it('drain - every batch in flight finishes; nothing is left for redelivery', async () => {
    const { confirming, node, source, output, rmq } = await setup(input);
    await confirming.whenHeld(1);
    await until('three batches in flight', () => node.stats().inFlight === 15, 5000);
    const drain = node.drain(10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(node.state).toBe('draining');
    confirming.release();
    await drain;
    expect(node.state).toBe('stopped');
    expect(confirming.acked()).toEqual(input);
    await expectAllThrough({ source, output, rmq });
  });

  it('stop - every batch in flight is abandoned: nothing acked, all back in the source queue', async () => {
    const { confirming, node, source, rmq } = await setup(input);
    await confirming.whenHeld(1);
    await until('three batches in flight', () => node.stats().inFlight === 15, 5000);
    await node.stop();
    confirming.release();
    await until('all back', async () => (await rmq.queueStats(source)).ready === 15, 5000);
    expect(confirming.acked()).toEqual([]);
  });

  it('lane - every batch publishes at once on the lane; confirms given youngest first still ack in delivery order', async () => {
    const { confirming, node, source, output, rmq } = await setup(input, LaneConfirmingAdapter);
    const lanes = confirming as LaneConfirmingAdapter;
    const consumer = confirming.consumers[0]!.inner as unknown as {
      channel: { ack(message: Message, allUpTo?: boolean): void };
    };
    const ack = vi.spyOn(consumer.channel, 'ack');
    await confirming.whenHeld(3);
    expect(lanes.lanes).toBe(1);
    expect(confirming.heldCalls).toEqual([1, 2, 3]);
    // Written on the lane's channel in call order: all 15 outputs are in the queue, in order, before any confirm
    // was given to the node.
    await until(
      'all outputs stored',
      async () => (await rmq.queueStats(output)).ready === 15,
      5000,
    );
    confirming.confirm(3);
    confirming.confirm(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(confirming.acked()).toEqual([]);
    expect(ack).not.toHaveBeenCalled();
    confirming.confirm(1);
    await until('every ack', () => confirming.acked().length === 15, 5000);
    expect(confirming.acked()).toEqual(input);
    await until('three ack frames', () => ack.mock.calls.length === 3, 5000);
    expectOneAckFramePerBatch(ack);
    await node.drain(5000);
    expect(lanes.lanesClosed).toBe(1);
    await expectAllThrough({ source, output, rmq });
  });

  it('lane - drain finishes every batch in flight; stop abandons them all', async () => {
    const first = await setup(input, LaneConfirmingAdapter);
    await first.confirming.whenHeld(3);
    const drain = first.node.drain(10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(first.node.state).toBe('draining');
    first.confirming.release();
    await drain;
    expect(first.confirming.acked()).toEqual(input);
    await expectAllThrough(first);
    await adapter?.close();

    const second = await setup(input, LaneConfirmingAdapter);
    await second.confirming.whenHeld(3);
    await second.node.stop();
    second.confirming.release();
    await until(
      'all back',
      async () => (await second.rmq.queueStats(second.source)).ready === 15,
      5000,
    );
    expect(second.confirming.acked()).toEqual([]);
  });
});
