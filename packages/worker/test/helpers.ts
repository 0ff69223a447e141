/**
 * What the worker's tests share: cleanups run after each test (last registered first), a worker on the in-memory
 * adapter, a raw ROUTER that plays the master, for tests that need to say exactly what the master says, and JSON
 * values put on and read from the in-memory broker's queues.
 */
import { Router } from 'zeromq';
import { afterEach } from 'vitest';
import { MmopCodec } from '@monomyth/mmop';
import type { MmopMessage } from '@monomyth/mmop';
import { jsonCodec } from '@monomyth/node';
import { MemoryBroker, MemoryStreamAdapter } from '@monomyth/node/memory';
import { Worker } from '../src/index.js';
import type { WorkerOptions } from '../src/index.js';

type Cleanup = () => Promise<void> | void;

/**
 * Registers an `afterEach` (call it at a test file's top level) that runs the cleanups the test registered through
 * the returned function, last first, so a failing test leaves no socket or worker behind.
 */
export function cleanupsAfterEach(): (cleanup: Cleanup) => void {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}

/**
 * Starts a worker for `options.master` with an in-memory adapter on `broker` (a fresh one by default). It retries
 * registration every 100 ms; `closeDrainMs` is how long its close after the test may drain.
 */
export async function startWorker(
  defer: (cleanup: Cleanup) => void,
  options: Partial<WorkerOptions> & Pick<WorkerOptions, 'master' | 'system'>,
  broker = new MemoryBroker(),
  closeDrainMs = 500,
): Promise<Worker> {
  const adapter = new MemoryStreamAdapter({ broker });
  await adapter.open();
  const worker = new Worker({ adapter, registerRetryMs: 100, ...options });
  defer(async () => {
    await worker.close({ drainTimeoutMs: closeDrainMs });
    await adapter.close();
  });
  worker.start();
  return worker;
}

/** A ROUTER bound on a free local port, playing the master: the test reads what the worker sends and answers. */
export interface FakeMaster {
  readonly router: Router;
  readonly codec: MmopCodec;
  readonly endpoint: string;
  receive(): Promise<{ identity: Buffer; message: MmopMessage }>;
  send(identity: Buffer, message: MmopMessage): Promise<void>;
  /** Waits for the worker's READY and answers REGISTERED with these fields; returns the worker's identity. */
  register(fields: Omit<Extract<MmopMessage, { kind: 'REGISTERED' }>, 'kind'>): Promise<Buffer>;
}

export async function fakeMaster(defer: (cleanup: Cleanup) => void): Promise<FakeMaster> {
  const codec = new MmopCodec();
  const router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:*');
  defer(() => router.close());
  const receive = async (): Promise<{ identity: Buffer; message: MmopMessage }> =>
    codec.decodeEnvelope(await router.receive());
  const send = (identity: Buffer, message: MmopMessage): Promise<void> =>
    router.send(codec.encodeEnvelope(identity, message));
  return {
    router,
    codec,
    endpoint: router.lastEndpoint!,
    receive,
    send,
    async register(fields) {
      let ready = await receive();
      while (ready.message.kind !== 'READY') ready = await receive();
      await send(ready.identity, { kind: 'REGISTERED', ...fields });
      return ready.identity;
    },
  };
}

/** Puts JSON values on a queue of the shared in-memory broker, through an adapter of its own. */
export async function publish(
  broker: MemoryBroker,
  queue: string,
  values: unknown[],
): Promise<void> {
  const adapter = new MemoryStreamAdapter({ broker });
  await adapter.open();
  await adapter.declareQueue(queue);
  await adapter.publish(values.map((value) => ({ queue, body: jsonCodec.encode(value) })));
  await adapter.close();
}

/** Reads and acks `count` JSON values from a queue of the shared broker (fewer if 5 s pass first). */
export async function collect(
  broker: MemoryBroker,
  queue: string,
  count: number,
): Promise<unknown[]> {
  const adapter = new MemoryStreamAdapter({ broker });
  await adapter.open();
  await adapter.declareQueue(queue);
  const consumer = await adapter.consume(queue, { maxUnacked: count });
  const values: unknown[] = [];
  const signal = AbortSignal.timeout(5000);
  while (values.length < count && !signal.aborted) {
    const batch = await consumer.nextBatch({ max: count - values.length, timeoutMs: 0, signal });
    values.push(...batch.map((delivery) => jsonCodec.decode(delivery.body)));
    await consumer.ack(batch);
  }
  await consumer.close();
  await adapter.close();
  return values;
}
