import type { TestProject } from 'vitest/node';
import { acquireTestBroker } from '@monomyth/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The AMQP URL of the RabbitMQ that integration tests use. */
    amqpUrl: string;
  }
}

/**
 * Starts (or reuses) one RabbitMQ for the whole run and hands its URL to the tests: `inject('amqpUrl')`.
 * With MONOMYTH_AMQP_URL set, that broker is used and none is started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const lease = await acquireTestBroker((line) => console.log(`[monomyth] ${line}`));
  project.provide('amqpUrl', lease.url);
  return () => lease.release();
}
