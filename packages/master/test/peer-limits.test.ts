/**
 * The master's limits on what one worker may make it hold (peer-limits.ts), each broken by a peer over real ZeroMQ
 * sockets: the peer gets ERROR with the limit's code, nothing it sent is kept, the master serves on, and the refusals
 * are logged at a bounded rate.
 */
import { Dealer } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, MmopCodec, freshNodeStatus } from '@monomyth/mmop';
import type { Logger, MessageOf, MmopMessage } from '@monomyth/mmop';
import { DEFAULT_PEER_LIMITS, LimitCode, compileMasterOptions } from '../src/index.js';
import type { MasterOptions } from '../src/index.js';
import { Harness } from './helpers.js';

const codec = new MmopCodec();
let harness: Harness | undefined;
const sockets: Dealer[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await harness?.close();
  harness = undefined;
});

async function start(options: MasterOptions = {}): Promise<Harness> {
  harness = await Harness.start(options);
  return harness;
}

function peer(id: string): Dealer {
  const socket = new Dealer({ linger: 0, routingId: id, receiveTimeout: 3000 });
  socket.connect(harness!.master.endpoint);
  sockets.push(socket);
  return socket;
}

async function exchange(socket: Dealer, message: MmopMessage): Promise<MmopMessage> {
  await socket.send(codec.encode(message));
  return codec.decode(await socket.receive());
}

function ready(workerId: string, overrides: Partial<MessageOf<'READY'>> = {}): MessageOf<'READY'> {
  return {
    kind: 'READY',
    workerId,
    host: 'h',
    pid: 1,
    capacity: 4,
    recipes: [{ type: 'A' }],
    nodes: [],
    ...overrides,
  };
}

const types = (count: number): { type: string }[] =>
  Array.from({ length: count }, (_, i) => ({ type: `T${i}` }));

describe('master - peer limits', () => {
  it('options - defaults serve 10,000 workers; a limit under 1, or a name length over 256, is refused', () => {
    expect(compileMasterOptions().limits).toEqual(DEFAULT_PEER_LIMITS);
    expect(DEFAULT_PEER_LIMITS.maxWorkers).toBeGreaterThanOrEqual(10_000);
    expect(compileMasterOptions({ limits: { maxWorkers: 5 } }).limits.maxWorkers).toBe(5);
    expect(() => compileMasterOptions({ limits: { maxWorkers: 0 } })).toThrow(InvalidOptionError);
    expect(() => compileMasterOptions({ limits: { maxNameLength: 300 } })).toThrow(
      InvalidOptionError,
    );
    expect(() => compileMasterOptions({ limits: { maxRecipeBytes: 1.5 } })).toThrow(
      InvalidOptionError,
    );
  });

  it('workers - a new name past maxWorkers gets ERROR 503 TOO_MANY_WORKERS; a registered one may register again', async () => {
    const { master } = await start({ limits: { maxWorkers: 2 } });
    const first = peer('w1');
    expect(await exchange(first, ready('w1'))).toMatchObject({ kind: 'REGISTERED' });
    expect(await exchange(peer('w2'), ready('w2'))).toMatchObject({ kind: 'REGISTERED' });
    expect(await exchange(peer('w3'), ready('w3'))).toMatchObject({
      kind: 'ERROR',
      status: 503,
      code: LimitCode.TooManyWorkers,
    });
    expect(master.workers().map((worker) => worker.workerId)).toEqual(['w1', 'w2']);
    expect(await exchange(first, ready('w1'))).toMatchObject({ kind: 'REGISTERED' });
  });

  it('types - a READY offering more than maxTypesPerWorker (1,000 by default) is refused, its types unknown', async () => {
    const { master } = await start();
    expect(await exchange(peer('many'), ready('many', { recipes: types(1_001) }))).toMatchObject({
      kind: 'ERROR',
      status: 400,
      code: LimitCode.TooManyTypes,
    });
    expect(master.workers()).toEqual([]);
    expect(master.recipes()).toEqual([]);
    expect(await exchange(peer('fits'), ready('fits', { recipes: types(1_000) }))).toMatchObject({
      kind: 'REGISTERED',
    });
    expect(master.recipes()).toHaveLength(1_000);
  });

  it('nodes - a READY or HEARTBEAT listing more than maxNodesPerWorker is refused; a larger capacity counts as the limit', async () => {
    const { master } = await start({ limits: { maxNodesPerWorker: 3 } });
    const nodes = Array.from({ length: 4 }, (_, i) => ({
      name: `A:n${i}`,
      type: 'A',
      recipe: { type: 'A' },
    }));
    expect(await exchange(peer('w1'), ready('w1', { nodes }))).toMatchObject({
      kind: 'ERROR',
      code: LimitCode.TooManyNodes,
    });
    expect(master.workers()).toEqual([]);

    const worker = peer('w2');
    expect(await exchange(worker, ready('w2', { capacity: 1_000_000 }))).toMatchObject({
      kind: 'REGISTERED',
    });
    expect(master.workers()[0]?.capacity).toBe(3);
    const statuses = nodes.map((node) => freshNodeStatus(node.name, node.type, 'running'));
    expect(
      await exchange(worker, { kind: 'HEARTBEAT', masterEpoch: master.epoch, nodes: statuses }),
    ).toMatchObject({ kind: 'ERROR', code: LimitCode.TooManyNodes });
    expect(master.workers()[0]?.nodes).toEqual([]);
    expect(
      await exchange(worker, {
        kind: 'HEARTBEAT',
        masterEpoch: master.epoch,
        nodes: statuses.slice(0, 3),
      }),
    ).toMatchObject({ kind: 'HEARTBEAT-ACK' });
    expect(master.workers()[0]?.nodes).toHaveLength(3);
  });

  it('recipes - a recipe over maxRecipeBytes (offered or running) gets ERROR 400 RECIPE_TOO_LARGE', async () => {
    const { master } = await start({ limits: { maxRecipeBytes: 1024 } });
    const big = { type: 'A', settings: 'x'.repeat(2000) };
    expect(await exchange(peer('w1'), ready('w1', { recipes: [big] }))).toMatchObject({
      kind: 'ERROR',
      status: 400,
      code: LimitCode.RecipeTooLarge,
    });
    const running = [{ name: 'A:1', type: 'A', recipe: big }];
    expect(await exchange(peer('w2'), ready('w2', { nodes: running }))).toMatchObject({
      code: LimitCode.RecipeTooLarge,
    });
    expect(master.workers()).toEqual([]);
    expect(master.recipes()).toEqual([]);
  });

  it('names - a worker id, type or node name over maxNameLength gets ERROR 400 NAME_TOO_LONG', async () => {
    const { master } = await start({ limits: { maxNameLength: 16 } });
    const long = 'x'.repeat(40);
    expect(await exchange(peer('w1'), ready(long))).toMatchObject({ code: LimitCode.NameTooLong });
    expect(await exchange(peer('w2'), ready('w2', { recipes: [{ type: long }] }))).toMatchObject({
      code: LimitCode.NameTooLong,
    });
    expect(master.workers()).toEqual([]);
    const worker = peer('w3');
    expect(await exchange(worker, ready('w3'))).toMatchObject({ kind: 'REGISTERED' });
    expect(
      await exchange(worker, {
        kind: 'HEARTBEAT',
        masterEpoch: master.epoch,
        nodes: [freshNodeStatus(`A:${long}`, 'A', 'running')],
      }),
    ).toMatchObject({ kind: 'ERROR', code: LimitCode.NameTooLong });
    expect(master.workers()[0]?.nodes).toEqual([]);
  });

  it('logs - 100 refusals in a burst are each answered, and logged in at most ten lines', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (_fields: unknown, message?: string) => {
        if (message?.startsWith('refused:')) lines.push(message);
      },
      error: () => {},
      child: () => logger,
    };
    await start({ logger, limits: { maxTypesPerWorker: 1 } });
    const socket = peer('flooder');
    for (let i = 0; i < 100; i++)
      await socket.send(codec.encode(ready('flooder', { recipes: types(2) })));
    for (let i = 0; i < 100; i++)
      expect(codec.decode(await socket.receive())).toMatchObject({ code: LimitCode.TooManyTypes });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(await exchange(peer('ok'), { kind: 'PING', requestId: 'p' })).toMatchObject({
      kind: 'PONG',
    });
  });
});
