/**
 * What the RabbitMQ adapter's integration tests share: what a test opens (closed after it), unique names, a reader of
 * a queue, and polling with a deadline.
 */
import { randomUUID } from 'node:crypto';
import { jsonCodec } from '@monomyth/node';
import type { Logger, Node } from '@monomyth/node';
import type { Delivery, StreamAdapter, StreamConsumer } from '@monomyth/node/adapter';
import { afterEach, inject } from 'vitest';
import { RabbitMqStreamAdapter } from '../src/index.js';
import type { RabbitMqAdapterOptions } from '../src/index.js';
import { TcpProxy } from './tcp-proxy.js';

/** What a test opens through `openedInTest`; all of it is closed after the test. */
export interface TestResources {
  /** An adapter (on the shared broker unless `url` says otherwise), built but not opened. */
  build(options?: Partial<RabbitMqAdapterOptions>): RabbitMqStreamAdapter;
  /** The same, opened. */
  open(options?: Partial<RabbitMqAdapterOptions>): Promise<RabbitMqStreamAdapter>;
  /** Tracks a node the test started itself. */
  track(node: Node): Node;
  /** Tracks a node and starts it. */
  run(node: Node): Promise<Node>;
  /** A TCP proxy to the shared broker, which the test can cut. */
  startProxy(): Promise<TcpProxy>;
}

/**
 * Registers an `afterEach` (call it at a test file's top level) that drains the nodes a test ran, then closes its
 * adapters, then its proxies, so a failing test leaves no connection to the shared broker behind.
 */
export function openedInTest(): TestResources {
  const nodes: Node[] = [];
  const adapters: RabbitMqStreamAdapter[] = [];
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    await stopAll(nodes.splice(0));
    await Promise.all(adapters.splice(0).map((adapter) => adapter.close()));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  const resources: TestResources = {
    build(options = {}) {
      const adapter = new RabbitMqStreamAdapter({ url: inject('amqpUrl'), ...options });
      adapters.push(adapter);
      return adapter;
    },
    async open(options) {
      const adapter = resources.build(options);
      await adapter.open();
      return adapter;
    },
    track(node) {
      nodes.push(node);
      return node;
    },
    async run(node) {
      nodes.push(node);
      await node.start();
      return node;
    },
    async startProxy() {
      const proxy = await TcpProxy.start(inject('amqpUrl'));
      proxies.push(proxy);
      return proxy;
    },
  };
  return resources;
}

/** A logger that keeps the message of each line in `lines`, so a test can see what the adapter reported. */
export function recordingLogger(lines: string[]): Logger {
  const log = (fieldsOrMessage: object | string, message?: string): void => {
    lines.push(typeof fieldsOrMessage === 'string' ? fieldsOrMessage : (message ?? ''));
  };
  const logger: Logger = {
    trace: log,
    debug: log,
    info: log,
    warn: log,
    error: log,
    child: () => logger,
  };
  return logger;
}

/** A prefix unique to this test run, so tests sharing one broker never share a queue. */
export function uniqueName(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** Publishes `values` as JSON to `queue` (declared first), in batches of `batchSize`. */
export async function publishValues(
  adapter: StreamAdapter,
  queue: string,
  values: readonly unknown[],
  batchSize = 1000,
): Promise<void> {
  await adapter.declareQueue(queue);
  for (let i = 0; i < values.length; i += batchSize) {
    await adapter.publish(
      values.slice(i, i + batchSize).map((value) => ({ queue, body: jsonCodec.encode(value) })),
    );
  }
}

/**
 * Reads `queue` until `done(received)` says so, acking as it goes, and returns every delivery (duplicates included).
 * Event-driven: it wakes on arrivals. Fails when `timeoutMs` passes first.
 */
export async function collect(
  adapter: StreamAdapter,
  queue: string,
  done: (received: readonly Delivery[]) => boolean,
  timeoutMs: number,
  maxUnacked = 500,
): Promise<Delivery[]> {
  await adapter.declareQueue(queue);
  const consumer: StreamConsumer = await adapter.consume(queue, { maxUnacked });
  const signal = AbortSignal.timeout(timeoutMs);
  const received: Delivery[] = [];
  try {
    while (!done(received)) {
      const batch = await consumer.nextBatch({ max: maxUnacked, timeoutMs: 20, signal });
      received.push(...batch);
      if (batch.length > 0) await consumer.ack(batch);
      if (signal.aborted && !done(received)) {
        throw new Error(
          `reading ${queue}: condition not met within ${timeoutMs} ms (${received.length} read)`,
        );
      }
    }
  } finally {
    await consumer.close();
  }
  return received;
}

export function valuesOf(deliveries: readonly Delivery[]): unknown[] {
  return deliveries.map((delivery) => jsonCodec.decode(delivery.body));
}

/** Polls `condition` every `everyMs` until it holds; for states the broker sends no event about (queue counts). */
export async function until(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function stopAll(nodes: readonly Node[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.drain(5_000)));
}
