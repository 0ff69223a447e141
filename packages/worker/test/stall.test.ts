/**
 * The worker's heartbeats do not depend on the event loop that runs the nodes' code. A raw ROUTER plays the master;
 * a node's transform keeps this thread's CPU for 1.5 s without yielding. ZeroMQ's own I/O thread queues what arrives
 * meanwhile, so once the loop is free the test reads every HEARTBEAT sent during the block: they kept coming, from the
 * link thread, and their `eventLoopLagMs` grew with the block. The logger then names the node that had a batch in flight.
 */
import { describe, expect, it } from 'vitest';
import type { MessageOf, MmopMessage } from '@monomyth/mmop';
import { defineSystem, jsonCodec } from '@monomyth/node';
import { MemoryBroker, MemoryStreamAdapter } from '@monomyth/node/memory';
import type { Logger } from '@monomyth/node';
import { cleanupsAfterEach, fakeMaster, startWorker } from './helpers.js';

const defer = cleanupsAfterEach();

const BLOCK_MS = 1_500;
const HEARTBEAT_MS = 100;

const spinning = defineSystem({
  name: 'spinning',
  nodes: [
    {
      name: 'SPIN',
      batchSize: 1,
      batchTimeoutMs: 10,
      transform: (ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until);
        return ms;
      },
    },
  ],
});

function recordingLogger(lines: { level: string; fields: unknown; msg: string }[]): Logger {
  const at =
    (level: string) =>
    (fields: unknown, msg?: string): void => {
      lines.push({ level, fields, msg: msg ?? '' });
    };
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

describe('worker - stalls', () => {
  it('worker - heartbeats go on while a transform blocks the event loop, report its lag, and the stall is logged with the node', async () => {
    const master = await fakeMaster(defer);
    const { receive, send } = master;
    const broker = new MemoryBroker();
    const lines: { level: string; fields: unknown; msg: string }[] = [];
    const worker = await startWorker(
      defer,
      {
        master: master.endpoint,
        system: spinning,
        stallWarningMs: 500,
        logger: recordingLogger(lines),
      },
      broker,
    );
    const identity = await master.register({
      workerId: worker.id,
      heartbeatIntervalMs: HEARTBEAT_MS,
      // This test answers no heartbeat (it is blocked too): the worker must not give up on its master meanwhile.
      heartbeatMisses: 100,
      masterEpoch: 'e1',
    });
    await send(identity, {
      kind: 'START-NODE',
      requestId: 'r1',
      recipe: spinning.recipes[0]!,
    });
    let started: MmopMessage;
    do started = (await receive()).message;
    while (started.kind !== 'START-NODE-SUCCESS');
    const nodeName = started.nodeName;

    // The batch arrives, and SPIN keeps this very thread busy: no timer, no socket read here until it returns.
    const feeder = new MemoryStreamAdapter({ broker });
    await feeder.open();
    defer(() => feeder.close());
    await feeder.publish([{ queue: 'START-to-SPIN', body: jsonCodec.encode(BLOCK_MS) }]);
    const blockedAt = Date.now();
    let heartbeats: MessageOf<'HEARTBEAT'>[] = [];
    // Read what was queued during the block, and a little after it.
    while (Date.now() - blockedAt < BLOCK_MS + 1_000) {
      const { message } = await receive();
      if (message.kind === 'HEARTBEAT') heartbeats.push(message);
    }
    heartbeats = heartbeats.filter((heartbeat) => heartbeat.eventLoopLagMs !== undefined);
    const lags = heartbeats.map((heartbeat) => heartbeat.eventLoopLagMs ?? 0);
    // About one per 100 ms throughout: the block did not silence the worker.
    expect(heartbeats.length).toBeGreaterThanOrEqual(15);
    expect(Math.max(...lags)).toBeGreaterThanOrEqual(BLOCK_MS - 4 * HEARTBEAT_MS);
    // The lag grew during the block, heartbeat by heartbeat, and fell back to (about) nothing after.
    const rising = lags.filter((lag) => lag > 0);
    expect(rising.length).toBeGreaterThanOrEqual(8);
    expect(lags.at(-1)).toBeLessThan(HEARTBEAT_MS);
    // Each heartbeat still lists the node (from the last status the main thread posted).
    expect(
      heartbeats.every((heartbeat) => heartbeat.nodes.some((node) => node.name === nodeName)),
    ).toBe(true);

    const warning = lines.find((line) => line.msg.includes('the event loop was blocked for'));
    expect(warning?.level).toBe('warn');
    expect(warning?.msg).toContain(`nodes with a batch in flight: ${nodeName}`);
    expect((warning?.fields as { blockedMs: number }).blockedMs).toBeGreaterThanOrEqual(1_000);
  });
});
