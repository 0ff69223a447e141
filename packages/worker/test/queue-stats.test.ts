/**
 * Heartbeats carry the counts of the source queues of the nodes a worker runs, and of the types it offers but runs no
 * node of (so a type scaled to none keeps a backlog figure), read from its adapter once per heartbeat interval (never
 * per message): a raw ROUTER plays the master and reads them. A node whose transform waits on
 * a gate holds its prefetch unacknowledged, so the counts are known exactly. An adapter without the optional
 * `queueStats` capability is never asked, and its heartbeats carry no `queues`.
 */
import { describe, expect, it } from 'vitest';
import type { MessageOf, MmopMessage, QueueCounts } from '@monomyth/mmop';
import { defineSystem, jsonCodec } from '@monomyth/node';
import type { QueueStats } from '@monomyth/node/adapter';
import { MemoryBroker, MemoryStreamAdapter } from '@monomyth/node/memory';
import { Worker } from '../src/index.js';
import { MAX_IDLE_QUEUES } from '../src/queue-stats-reader.js';
import { cleanupsAfterEach, fakeMaster } from './helpers.js';
import type { FakeMaster } from './helpers.js';

const defer = cleanupsAfterEach();

/** Longer than the 100 ms tick: statuses go to the link thread every tick here, queue reads must not. */
const HEARTBEAT_MS = 300;

let release: () => void = () => {};
const gate = (): Promise<void> => new Promise((resolve) => (release = resolve));

const holding = defineSystem({
  name: 'holding',
  nodes: [
    {
      name: 'HOLD',
      batchSize: 10,
      batchTimeoutMs: 10,
      maxUnacked: 10,
      batchesInFlight: 1,
      transform: async (n: number) => {
        await held;
        return n;
      },
    },
  ],
});
let held = gate();

/** Counts the adapter's queueStats calls. */
class CountingAdapter extends MemoryStreamAdapter {
  calls = 0;
  override queueStats(queue: string): Promise<QueueStats> {
    this.calls += 1;
    return super.queueStats(queue);
  }
}

async function startHolding(
  master: FakeMaster,
  adapter: MemoryStreamAdapter,
  system = holding,
): Promise<{ worker: Worker; identity: Buffer }> {
  await adapter.open();
  const worker = new Worker({
    adapter,
    master: master.endpoint,
    system,
    registerRetryMs: 100,
  });
  defer(async () => {
    release();
    await worker.close({ drainTimeoutMs: 500 });
    await adapter.close();
  });
  worker.start();
  const identity = await master.register({
    workerId: worker.id,
    heartbeatIntervalMs: HEARTBEAT_MS,
    // The test answers no heartbeat: the worker must not look for another master meanwhile.
    heartbeatMisses: 100,
    masterEpoch: 'e1',
  });
  await master.send(identity, { kind: 'START-NODE', requestId: 'r1', recipe: holding.recipes[0]! });
  return { worker, identity };
}

async function publish(broker: MemoryBroker, queue: string, count: number): Promise<void> {
  const adapter = new MemoryStreamAdapter({ broker });
  await adapter.open();
  await adapter.declareQueue(queue);
  const values = Array.from({ length: count }, (_, i) => i);
  await adapter.publish(values.map((value) => ({ queue, body: jsonCodec.encode(value) })));
  await adapter.close();
}

/** The worker's next heartbeats until one satisfies `done` (other kinds are skipped); fails after 5 s. */
async function heartbeatUntil(
  master: FakeMaster,
  done: (heartbeat: MessageOf<'HEARTBEAT'>) => boolean,
): Promise<MessageOf<'HEARTBEAT'>[]> {
  const seen: MessageOf<'HEARTBEAT'>[] = [];
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { message }: { message: MmopMessage } = await master.receive();
    if (message.kind !== 'HEARTBEAT') continue;
    seen.push(message);
    if (done(message)) return seen;
  }
  throw new Error(`no matching heartbeat in 5 s; last: ${JSON.stringify(seen.at(-1))}`);
}

describe('worker - queue counts in heartbeats', () => {
  it('queue counts - heartbeats carry the source queue ready/unacked counts, read once per heartbeat', async () => {
    held = gate();
    const master = await fakeMaster(defer);
    const broker = new MemoryBroker();
    const adapter = new CountingAdapter({ broker });
    await startHolding(master, adapter);
    await publish(broker, 'START-to-HOLD', 50);

    const expected: QueueCounts = { queue: 'START-to-HOLD', ready: 40, unacked: 10, consumers: 1 };
    const seen = await heartbeatUntil(
      master,
      (heartbeat) => JSON.stringify(heartbeat.queues) === JSON.stringify([expected]),
    );
    expect(seen.at(-1)?.queues).toEqual([expected]);

    // Once per heartbeat interval, not per tick, status post or batch: over 6 more heartbeats, about 6 reads.
    const callsBefore = adapter.calls;
    const startedAt = Date.now();
    await heartbeatUntil(master, () => Date.now() - startedAt >= 6 * HEARTBEAT_MS);
    const reads = adapter.calls - callsBefore;
    const intervals = (Date.now() - startedAt) / HEARTBEAT_MS;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(Math.ceil(intervals) + 1);

    release();
    await heartbeatUntil(master, (heartbeat) => heartbeat.queues?.[0]?.ready === 0);
  });

  it('queue counts - an adapter without queueStats is never asked, and heartbeats carry no queues', async () => {
    held = gate();
    const master = await fakeMaster(defer);
    const broker = new MemoryBroker();
    const adapter = new MemoryStreamAdapter({ broker });
    // The capability is optional: this adapter does not have it.
    Object.defineProperty(adapter, 'queueStats', { value: undefined });
    await startHolding(master, adapter);
    await publish(broker, 'START-to-HOLD', 20);
    const seen = await heartbeatUntil(master, (heartbeat) =>
      heartbeat.nodes.some((node) => node.inFlight > 0),
    );
    const more = await heartbeatUntil(master, () => true);
    for (const heartbeat of [...seen, ...more]) expect(heartbeat.queues).toBeUndefined();
  });

  it('queue counts - the source queues of offered types with no node here are reported too, the first 64 by name', async () => {
    held = gate();
    const master = await fakeMaster(defer);
    const broker = new MemoryBroker();
    const adapter = new MemoryStreamAdapter({ broker });
    const idle = Array.from(
      { length: MAX_IDLE_QUEUES + 5 },
      (_, i) => `IDLE-${String(i).padStart(2, '0')}`,
    );
    const system = defineSystem({
      name: 'offering',
      nodes: [
        holding.definition('HOLD'),
        ...idle.map((name) => ({ name, transform: (n: number) => n })),
      ],
    });
    const sources = idle.map((name) => system.recipe(name).source as string).sort();
    await startHolding(master, adapter, system);
    await publish(broker, 'START-to-HOLD', 15);
    for (const queue of sources) await publish(broker, queue, queue === sources[3] ? 7 : 0);

    const expected = [
      ...sources.slice(0, MAX_IDLE_QUEUES).map((queue) => ({
        queue,
        ready: queue === sources[3] ? 7 : 0,
        unacked: 0,
        consumers: 0,
      })),
      { queue: 'START-to-HOLD', ready: 5, unacked: 10, consumers: 1 },
    ].sort((a, b) => (a.queue < b.queue ? -1 : 1));
    const seen = await heartbeatUntil(
      master,
      (heartbeat) => JSON.stringify(heartbeat.queues) === JSON.stringify(expected),
    );
    expect(seen.at(-1)?.queues).toEqual(expected);
  });

  it('queue counts - an offered type whose queue does not exist yet is not asked about every heartbeat', async () => {
    held = gate();
    const master = await fakeMaster(defer);
    const broker = new MemoryBroker();
    const asked: string[] = [];
    const adapter = new (class extends MemoryStreamAdapter {
      override queueStats(queue: string): Promise<QueueStats> {
        asked.push(queue);
        return super.queueStats(queue);
      }
    })({ broker });
    const system = defineSystem({
      name: 'never-started',
      nodes: [holding.definition('HOLD'), { name: 'LATER', transform: (n: number) => n }],
    });
    const later = system.recipe('LATER').source as string;
    await startHolding(master, adapter, system);
    await publish(broker, 'START-to-HOLD', 15);
    // Five heartbeats with the running node's counts: the missing queue was asked about once.
    await heartbeatUntil(master, (heartbeat) => heartbeat.queues?.[0]?.unacked === 10);
    const seen = await heartbeatUntil(
      master,
      () => asked.filter((q) => q === 'START-to-HOLD').length >= 5,
    );
    expect(seen.at(-1)?.queues?.map((counts) => counts.queue)).toEqual(['START-to-HOLD']);
    expect(asked.filter((queue) => queue === later)).toHaveLength(1);
  });
});
