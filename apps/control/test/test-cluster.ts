/**
 * What every process-level test file shares: the processes it starts, killed after each test and at the end, and one
 * AMQP connection to the test broker, for publishing inputs, reading outputs and deleting queues between tests.
 * Call it once at the top of a file: it registers the hooks.
 */
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { Processes } from './processes.js';

export interface TestCluster {
  readonly processes: Processes;
  /** The connection to the test broker; open from the first test to the last. */
  amqp(): ChannelModel;
  /** Deletes the queues (those that exist), so a test starts from empty queues. */
  deleteQueues(queues: readonly string[]): Promise<void>;
}

export function useTestCluster(): TestCluster {
  const processes = new Processes();
  let connection: ChannelModel | undefined;
  beforeAll(async () => {
    connection = await connect(inject('amqpUrl'));
    connection.on('error', () => {});
  });
  afterAll(async () => {
    processes.killAll();
    await connection?.close();
  });
  afterEach(() => processes.killAll());
  const amqp = (): ChannelModel => {
    if (connection === undefined) throw new Error('the AMQP connection opens in beforeAll');
    return connection;
  };
  return {
    processes,
    amqp,
    async deleteQueues(queues) {
      const channel = await amqp().createChannel();
      for (const queue of queues) await channel.deleteQueue(queue);
      await channel.close();
    },
  };
}
