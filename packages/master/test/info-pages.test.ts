/**
 * WORKER-INFO and RECIPE-INFO in pages, over real sockets: a request with `offset`/`limit` gets its slice and the
 * list's `total`; one with neither gets the whole list, without `total`, as before pages existed; and the control
 * client fetches every page for the caller.
 */
import { Dealer } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { MmopCodec, encode } from '@monomyth/mmop';
import type { MessageOf, MmopMessage } from '@monomyth/mmop';
import { Harness } from './helpers.js';

let harness: Harness;
let socket: Dealer | undefined;

afterEach(async () => {
  socket?.close();
  socket = undefined;
  await harness?.close();
});

async function ask(message: MmopMessage): Promise<MessageOf<'INFO-RESPONSE'>> {
  socket ??= new Dealer({ linger: 0, receiveTimeout: 5000 });
  socket.connect(harness.master.endpoint);
  await socket.send(encode(message));
  const reply = new MmopCodec().decode(await socket.receive());
  expect(reply.kind).toBe('INFO-RESPONSE');
  return reply as MessageOf<'INFO-RESPONSE'>;
}

const TYPES = Array.from({ length: 1_200 }, (_, i) => `TYPE-${String(i).padStart(4, '0')}`);
/** One fake worker offers all 1,200 types: over the default limit of 1,000 per worker. */
const LIMITS = { limits: { maxTypesPerWorker: 2_000 } };

describe('master - info pages', () => {
  it('pages - RECIPE-INFO with offset and limit answers that slice and the total', async () => {
    harness = await Harness.start(LIMITS);
    await harness.worker({ types: TYPES });
    const first = await ask({ kind: 'RECIPE-INFO', requestId: 'p1', offset: 0, limit: 500 });
    expect(first.total).toBe(1_200);
    expect(first.recipes?.map((recipe) => recipe.type)).toEqual(TYPES.slice(0, 500));
    const last = await ask({ kind: 'RECIPE-INFO', requestId: 'p3', offset: 1_000, limit: 500 });
    expect(last).toMatchObject({ total: 1_200 });
    expect(last.recipes?.map((recipe) => recipe.type)).toEqual(TYPES.slice(1_000));
    const past = await ask({ kind: 'RECIPE-INFO', requestId: 'p4', offset: 5_000 });
    expect(past).toMatchObject({ total: 1_200, recipes: [] });
  });

  it('pages - without offset or limit the whole list comes back, without total', async () => {
    harness = await Harness.start(LIMITS);
    await harness.worker({ types: TYPES });
    const whole = await ask({ kind: 'RECIPE-INFO', requestId: 'all' });
    expect(whole.recipes).toHaveLength(1_200);
    expect(whole.total).toBeUndefined();
  });

  it('pages - WORKER-INFO pages too', async () => {
    harness = await Harness.start(LIMITS);
    for (let i = 0; i < 3; i++) await harness.worker({ types: ['A'] });
    const page = await ask({ kind: 'WORKER-INFO', requestId: 'w', offset: 1, limit: 1 });
    expect(page.total).toBe(3);
    expect(page.workers?.map((worker) => worker.workerId)).toEqual([harness.workers[1]!.id]);
  });

  it('pages - a limit over MAX_INFO_PAGE is a bad request', async () => {
    harness = await Harness.start(LIMITS);
    socket = new Dealer({ linger: 0, receiveTimeout: 5000 });
    socket.connect(harness.master.endpoint);
    // { requestId: 'big', limit: 10001 }, built by hand: encode refuses it.
    await socket.send([
      Buffer.from('MMOP/1'),
      Buffer.from('RECIPE-INFO'),
      Buffer.from('82a9726571756573744964a3626967a56c696d6974cd2711', 'hex'),
    ]);
    expect(new MmopCodec().decode(await socket.receive())).toMatchObject({
      kind: 'ERROR',
      status: 400,
      code: 'INVALID_FIELD',
      requestId: 'big',
    });
  });

  it('pages - the control client fetches every page: 1,200 types in pages of 500', async () => {
    // Replies of at most 64 KiB: the whole list of 1,200 (about 90 KiB) cannot go out in one; a page of 500 can.
    harness = await Harness.start({ ...LIMITS, codecLimits: { maxBodyBytes: 64 * 1024 } });
    await harness.worker({ types: TYPES });
    // Asked for whole, it cannot go out: ERROR 500 says why (before, no answer came at all).
    socket = new Dealer({ linger: 0, receiveTimeout: 5000 });
    socket.connect(harness.master.endpoint);
    await socket.send(encode({ kind: 'RECIPE-INFO', requestId: 'all' }));
    const refused = new MmopCodec().decode(await socket.receive());
    expect(refused).toMatchObject({ kind: 'ERROR', status: 500, requestId: 'all' });
    expect((refused as { reason: string }).reason).toMatch(
      /^cannot encode INFO-RESPONSE: its body is \d+ bytes, over the limit of 65536$/,
    );
    const recipes = await harness.client().recipes();
    expect(recipes.map((recipe) => recipe.type)).toEqual(TYPES);
    const workers = await harness.client().workers();
    expect(workers.map((worker) => worker.workerId)).toEqual([harness.workers[0]!.id]);
  });
});
