/**
 * The broker SIGKILLed under load, once with classic queues and once with quorum queues: every input published and
 * confirmed first, the broker killed once a quarter of the outputs are in the last queue, and started again on the
 * same data. The workers reconnect by themselves. What comes out twice is what the broker brought back after the
 * crash: acknowledged messages whose acks had not reached its disk.
 */
import type { QueueType } from '../cluster.js';
import { sleep } from '../cluster.js';
import { OUTPUT_QUEUE } from '../run-scenario.js';
import type { Scenario } from '../scenario.js';

/** The share of outputs in the last queue when the broker is killed. */
const KILL_AT = 0.25;

function brokerKill(queueType: QueueType): Scenario {
  return {
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
      context.fault('broker SIGKILL');
      await context.broker.server.kill();
      await context.broker.server.restart();
      context.log('broker back');
      await context.startReading();
    },
  };
}

export const brokerKillClassic = brokerKill('classic');
export const brokerKillQuorum = brokerKill('quorum');
