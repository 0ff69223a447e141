/**
 * A poison message among good ones: a body that is not JSON with a 100 KB header, which amqplib cannot re-encode when
 * the node places it in the fail queue. It must end in TEST-NODE1-fail, and every good message must arrive. The poison
 * is not an input: it is counted in the fail queue, never as missing. On quorum queues the broker counts the message's
 * deliveries; on classic queues the node has to, so both are run.
 */
import type { QueueType } from '../cluster.js';
import { INPUT_QUEUE } from '../run-scenario.js';
import { publishPoison } from '../poison.js';
import { loads, publishWithFault } from '../scenario.js';
import type { Scenario } from '../scenario.js';

const HEADER_BYTES = 100 * 1024;

function poisonOn(queueType: QueueType, name: string): Scenario {
  return {
    name,
    queueType,
    summary: `one message with a body that is not JSON and a ${HEADER_BYTES / 1024} KB header, published (with pika) among the good ones at a fifth of the load, on ${queueType} queues`,
    load: loads(
      { inputs: 3_000, ratePerSec: 500, limitMs: 40_000 },
      { inputs: 10_000, ratePerSec: 600, limitMs: 120_000 },
    ),
    async act(context) {
      await publishWithFault(context, 0.2, async () => {
        await publishPoison(context.url, INPUT_QUEUE, HEADER_BYTES);
        context.fault('poison published');
      });
    },
  };
}

export const poison = poisonOn('quorum', 'poison');
export const poisonClassic = poisonOn('classic', 'poison-classic');
