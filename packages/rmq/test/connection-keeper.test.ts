/**
 * The connection keeper on the shared broker, through a TCP proxy the test cuts: a connection that dies while its
 * setup runs is not taken as up, even when the setup itself ends well.
 */
import type { ChannelModel } from 'amqplib';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ConnectionKeeper } from '../src/connection-keeper.js';
import { compileRabbitMqOptions } from '../src/index.js';
import { openedInTest } from './helpers.js';

const { startProxy } = openedInTest();
const keepers: ConnectionKeeper[] = [];
afterEach(async () => {
  await Promise.all(keepers.splice(0).map((keeper) => keeper.close()));
});

describe('connection keeper', () => {
  it('reconnect - a connection cut during its setup, whose setup still ends well, is dropped and another is made', async () => {
    const proxy = await startProxy();
    let cutNextSetup = false;
    let setups = 0;
    const keeper = new ConnectionKeeper(
      'consume',
      compileRabbitMqOptions({
        url: proxy.urlFor(inject('amqpUrl')),
        reconnect: { minDelayMs: 20, maxDelayMs: 100 },
      }),
      async (model: ChannelModel) => {
        setups += 1;
        if (!cutNextSetup) return;
        cutNextSetup = false;
        // The connection dies mid-setup; the setup does not notice (as when its last step only closed a channel).
        const closed = closeOf(model);
        await proxy.cut({ refuse: false });
        await closed;
      },
    );
    keepers.push(keeper);
    await keeper.open();
    const first = await keeper.whenUp();

    cutNextSetup = true;
    const lost = closeOf(first);
    await proxy.cut({ refuse: false });
    await lost;
    // Down now; the first attempt's connection dies in its setup, the second one is kept.
    const model = await waitForNewUp(keeper, first);
    expect(setups).toBeGreaterThanOrEqual(3);
    expect(proxy.connections).toBe(1);
    const channel = await model.createChannel();
    await channel.close();
  });
});

/** The keeper's connection once it is up again with a model other than `old`. */
async function waitForNewUp(keeper: ConnectionKeeper, old: ChannelModel): Promise<ChannelModel> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const model = await keeper.whenUp();
    if (model !== old) return model;
    if (Date.now() > deadline) throw new Error('the keeper never came up again');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves on the connection's 'close' (amqplib emits 'error' first when the socket is cut). */
function closeOf(model: ChannelModel): Promise<void> {
  return new Promise((resolve) => model.once('close', () => resolve()));
}
