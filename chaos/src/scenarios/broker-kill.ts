/**
 * The broker SIGKILLed under load, once with classic queues and once with quorum queues: every input published and
 * confirmed first, the broker killed once a quarter of the outputs are in the last queue, and started again on the
 * same data. The workers reconnect by themselves. What comes out twice is what the broker brought back after the
 * crash: acknowledged messages whose acks had not reached its disk.
 */
import type { ChaosBroker } from '../broker.js';
import type { QueueType } from '../cluster.js';
import { sleep } from '../cluster.js';
import { OUTPUT_QUEUE, vhostOf } from '../run-scenario.js';
import type { Scenario } from '../scenario.js';

/** The share of outputs in the last queue when the broker is killed. */
const KILL_AT = 0.25;
/** How long every quorum queue has after the restart to lead again before the run names the broker's fault. */
const LEADER_WAIT_MS = 20_000;

function brokerKill(queueType: QueueType): Scenario {
  const scenario: Scenario = {
    name: `broker-kill-${queueType}`,
    summary: `SIGKILL of RabbitMQ with ${queueType} queues once a quarter of the confirmed inputs are through, then a restart on the same data`,
    queueType,
    readAfterFaults: true,
    load: (short) =>
      short ? { inputs: 5_000, limitMs: 90_000 } : { inputs: 20_000, limitMs: 240_000 },
    async act(context) {
      await context.publisher.publish(context.inputs);
      const target = Math.floor(KILL_AT * context.inputs.length);
      while ((await context.inspector.depth(OUTPUT_QUEUE)) < target) {
        if (Date.now() > context.deadline) throw new Error('the load never reached the kill point');
        await sleep(50);
      }
      if (queueType === 'quorum') await context.broker.flushRaftDirectory();
      context.fault('broker SIGKILL');
      await context.broker.server.kill();
      await context.broker.server.restart();
      context.log('broker back');
      if (queueType === 'quorum') await expectLeaders(context.broker, vhostOf(scenario));
      await context.startReading();
    },
  };
  return scenario;
}

/**
 * Waits until every quorum queue of the vhost leads again; throws, naming them, if some do not within LEADER_WAIT_MS:
 * then the broker, not the cluster, holds the stage, and the report says so instead of counting a slow recovery.
 */
async function expectLeaders(broker: ChaosBroker, vhost: string): Promise<void> {
  const giveUpAt = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    const leaderless = await broker.quorumQueuesWithoutLeader(vhost);
    if (leaderless.length === 0) return;
    if (Date.now() > giveUpAt) {
      throw new Error(
        `RabbitMQ brought back quorum queue(s) ${leaderless.join(', ')} without a leader ` +
          `${LEADER_WAIT_MS / 1000} s after its restart (docs/rabbitmq.md)`,
      );
    }
    await sleep(500);
  }
}

export const brokerKillClassic = brokerKill('classic');
export const brokerKillQuorum = brokerKill('quorum');
