import { runStreamAdapterConformance } from '@monomyth/testing/conformance';
import { inject } from 'vitest';
import { RabbitMqStreamAdapter } from '../src/index.js';
import type { QueueType } from '../src/index.js';

// Quorum queues are the default; classic queues stay available and keep the same contract.
for (const queueType of ['quorum', 'classic'] satisfies QueueType[]) {
  runStreamAdapterConformance(
    `RabbitMQ (${queueType} queues)`,
    () =>
      new RabbitMqStreamAdapter({
        url: inject('amqpUrl'),
        connectionName: 'conformance',
        queueType,
      }),
    {
      deliveryTimeoutMs: 5000,
      quietMs: 200,
      // amqplib cannot encode a header table over 64 KiB: the adapter refuses the message for itself.
      refusedMessage: () => ({ body: new Uint8Array([1]), headers: { big: 'h'.repeat(100_000) } }),
    },
  );
}
