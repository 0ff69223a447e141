/**
 * A close that the broker never answers because the connection dies first: amqplib's own promise never settles, and
 * whatever awaited it (a reconnection's declarations, a consumer's close) would wait forever.
 */
import { connect } from 'amqplib';
import { describe, expect, inject, it } from 'vitest';
import { closeQuietly } from '../src/close-quietly.js';
import { openedInTest } from './helpers.js';

const { startProxy } = openedInTest();
const NEVER = Symbol('never settled');

function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | typeof NEVER> {
  return Promise.race([promise, new Promise<typeof NEVER>((r) => setTimeout(() => r(NEVER), ms))]);
}

describe('closeQuietly', () => {
  it('close - a channel closed just before its connection dies: settles, where amqplib alone never does', async () => {
    const proxy = await startProxy();
    const model = await connect(proxy.urlFor(inject('amqpUrl')));
    model.on('error', () => {});
    const [plain, guarded] = await Promise.all([model.createChannel(), model.createChannel()]);
    proxy.holdReplies();
    const plainClose = plain.close().then(
      () => 'closed',
      () => 'rejected',
    );
    const quiet = closeQuietly(guarded);
    await proxy.cut({ refuse: false });
    expect(await settledWithin(quiet, 5_000)).toBeUndefined();
    // The fault closeQuietly exists for: if amqplib ever settles this, the helper can go.
    expect(await settledWithin(plainClose, 500)).toBe(NEVER);
  });

  it('close - a connection closed just before it dies settles too; closing twice is harmless', async () => {
    const proxy = await startProxy();
    const model = await connect(proxy.urlFor(inject('amqpUrl')));
    model.on('error', () => {});
    proxy.holdReplies();
    const quiet = closeQuietly(model);
    await proxy.cut({ refuse: false });
    expect(await settledWithin(quiet, 5_000)).toBeUndefined();
    expect(await settledWithin(closeQuietly(model), 5_000)).toBeUndefined();
  });
});
