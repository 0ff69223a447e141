/**
 * The broker a test run shares. Every package's integration tests call `acquireTestBroker()` (through the vitest global
 * setup), so one run starts at most one RabbitMQ however many projects need it, and stops it when the last releases it.
 * With MONOMYTH_AMQP_URL set, that broker is used and nothing is started.
 */
import { RabbitMqServer } from './rabbitmq-server.js';

export interface TestBrokerLease {
  /** The AMQP URL to connect to. */
  readonly url: string;
  /** The launched server, or undefined when MONOMYTH_AMQP_URL names an external broker. */
  readonly server: RabbitMqServer | undefined;
  /** Gives the lease back; the last release stops a launched broker. */
  release(): Promise<void>;
}

interface SharedBroker {
  starting: Promise<RabbitMqServer>;
  leases: number;
}

// Global setup files may be loaded once per vitest project; a process-wide slot keeps the broker shared between them.
const SLOT = Symbol.for('@monomyth/testing.broker');
type GlobalWithSlot = typeof globalThis & { [SLOT]?: SharedBroker };

export async function acquireTestBroker(onLog?: (line: string) => void): Promise<TestBrokerLease> {
  const external = process.env.MONOMYTH_AMQP_URL;
  if (external) return { url: external, server: undefined, release: async () => {} };

  const global = globalThis as GlobalWithSlot;
  const shared = (global[SLOT] ??= { starting: RabbitMqServer.start({ onLog }), leases: 0 });
  shared.leases += 1;
  let server: RabbitMqServer;
  try {
    server = await shared.starting;
  } catch (error) {
    shared.leases -= 1;
    if (global[SLOT] === shared) global[SLOT] = undefined;
    throw error;
  }
  let released = false;
  return {
    url: server.url,
    server,
    async release() {
      if (released) return;
      released = true;
      shared.leases -= 1;
      if (shared.leases === 0) {
        global[SLOT] = undefined;
        await server.stop();
      }
    },
  };
}
