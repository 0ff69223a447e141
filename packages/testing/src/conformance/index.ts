/**
 * runStreamAdapterConformance: the one test suite for the StreamAdapter contract (@monomyth/node's
 * stream-adapter.ts). The in-memory adapter and the RabbitMQ adapter pass it; a user's own adapter runs the same:
 *
 * ```ts
 * // my-adapter.conformance.test.ts
 * import { runStreamAdapterConformance } from '@monomyth/testing/conformance';
 * runStreamAdapterConformance('my adapter', () => new MyAdapter({ url: process.env.MY_BROKER_URL }));
 * ```
 *
 * Call it at the top level of a vitest test file (it registers a `describe` block). Every test uses queues of its own
 * with random names and closes the adapters it made. A case for a capability the adapter does not have (or for
 * `refusedMessage` when the options leave it out) is reported as skipped, with the reason as its note, never as passed.
 * test/conformance-catches.test.ts checks that the suite fails adapters with known bugs seeded in.
 */
import type { StreamAdapter } from '@monomyth/node';
import { randomUUID } from 'node:crypto';
import { afterEach, describe } from 'vitest';
import { capabilityCases } from './capability-cases.js';
import type { ConformanceContext, ConformanceOptions, StreamAdapterFactory } from './context.js';
import { publishTexts } from './context.js';
import { deliveryCases } from './delivery-cases.js';
import { failedMessagesCases } from './failed-messages-cases.js';
import { lifecycleCases } from './lifecycle-cases.js';
import { overlapCases } from './overlap-cases.js';
import { poisonCases } from './poison-cases.js';
import { settleCases } from './settle-cases.js';

export type { ConformanceOptions, StreamAdapterFactory } from './context.js';

export function runStreamAdapterConformance(
  name: string,
  factory: StreamAdapterFactory,
  options: ConformanceOptions = {},
): void {
  const run = randomUUID().slice(0, 8);
  let adapters: StreamAdapter[] = [];
  let testIndex = 0;

  const connectUnopened = async (): Promise<StreamAdapter> => {
    const adapter = await factory();
    adapters.push(adapter);
    return adapter;
  };
  const ctx: ConformanceContext = {
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 5000,
    quietMs: options.quietMs ?? 200,
    refusedMessage: options.refusedMessage,
    connectUnopened,
    async connect() {
      const adapter = await connectUnopened();
      await adapter.open();
      return adapter;
    },
    queue: (queueName) => `conformance-${run}-${testIndex}-${queueName}`,
    async freshQueue(adapter, queueName = 'q') {
      const queue = ctx.queue(queueName);
      await adapter.declareQueue(queue);
      return queue;
    },
    async consumerOfTexts(values, maxUnacked) {
      const adapter = await ctx.connect();
      const queue = await ctx.freshQueue(adapter);
      await publishTexts(adapter, queue, values);
      const consumer = await adapter.consume(queue, { maxUnacked });
      return { adapter, queue, consumer };
    },
  };

  describe(`StreamAdapter conformance: ${name}`, () => {
    afterEach(async () => {
      testIndex += 1;
      const made = adapters;
      adapters = [];
      await Promise.all(made.map((adapter) => adapter.close().catch(() => {})));
    });

    lifecycleCases(ctx);
    deliveryCases(ctx);
    settleCases(ctx);
    overlapCases(ctx);
    capabilityCases(ctx);
    failedMessagesCases(ctx);
    poisonCases(ctx);
  });
}
