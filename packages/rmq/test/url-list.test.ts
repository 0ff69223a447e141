/**
 * A list of URLs (the nodes of one cluster), on the shared broker behind TCP proxies that stand for the nodes: opening
 * skips a dead first URL, a lost connection moves to the next URL at once, every URL is redacted in errors, and bad
 * lists are refused by name.
 */
import { createNode, defineSystem } from '@monomyth/node';
import { describe, expect, inject, it } from 'vitest';
import { eventually, freePort } from '@monomyth/testing';
import type { RabbitMqStreamAdapter } from '../src/index.js';
import {
  RabbitMqConnectionError,
  InvalidOptionError,
  compileRabbitMqOptions,
} from '../src/index.js';
import { collect, openedInTest, publishValues, uniqueName, valuesOf } from './helpers.js';
import type { TcpProxy } from './tcp-proxy.js';

const { build, open, run, startProxy: proxy } = openedInTest();

/** A URL on a port where nothing listens: a node that is down. */
async function deadUrl(): Promise<string> {
  const url = new URL(inject('amqpUrl'));
  url.port = String(await freePort());
  return url.toString();
}

function adapterFor(urls: readonly string[], maxAttempts?: number): RabbitMqStreamAdapter {
  return build({ url: urls, reconnect: { minDelayMs: 20, maxDelayMs: 200, maxAttempts } });
}

/** How many of the adapter's two connections go through each proxy, once they have settled as `expected`. */
async function carrying(list: readonly TcpProxy[], expected: number[]): Promise<number[]> {
  return eventually(
    () => list.map((p) => p.connections),
    (counts) => counts.every((count, i) => count === expected[i]),
    // Generous for two busy cores: it returns as soon as the connections have settled.
    { timeoutMs: 15_000, intervalMs: 20 },
  ).catch(() => list.map((p) => p.connections));
}

describe('rabbitmq URL list', () => {
  it('url list - opening skips a first URL that is down and connects to the next', async () => {
    const live = await proxy();
    const adapter = adapterFor([await deadUrl(), live.urlFor(inject('amqpUrl'))]);
    await adapter.open();
    const queue = uniqueName('second');
    await publishValues(adapter, queue, ['via the second URL']);
    expect(valuesOf(await collect(adapter, queue, (got) => got.length === 1, 5_000))).toEqual([
      'via the second URL',
    ]);
    // Both connections (consume and publish) went through the live URL.
    expect(live.connections).toBe(2);
  });

  it('url list - with every URL down, open rejects naming each URL, passwords redacted', async () => {
    const dead = [await deadUrl(), await deadUrl()].map((url) =>
      url.replace('guest:guest@', 'guest:s3cret@'),
    );
    const adapter = adapterFor(dead);
    const error = await adapter.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RabbitMqConnectionError);
    expect(error).toMatchObject({ reason: 'unreachable' });
    const message = (error as Error).message;
    for (const url of dead) expect(message).toContain(url.replace('s3cret', '***'));
    expect(message).not.toContain('s3cret');
  });

  it('url list - when the node in use dies, the connection moves to the next URL and the node goes on', async () => {
    const first = await proxy();
    const second = await proxy();
    const adapter = adapterFor([first, second].map((p) => p.urlFor(inject('amqpUrl'))));
    await adapter.open();
    expect(await carrying([first, second], [2, 0])).toEqual([2, 0]);
    const direct = await open();

    const type = uniqueName('FAILOVER');
    const system = defineSystem({
      name: 'failover',
      nodes: [{ name: type, batchSize: 10, batchTimeoutMs: 5, transform: (n: number) => n }],
    });
    const source = `START-to-${type}`;
    const dest = `${type}-to-END`;
    await publishValues(direct, source, [0]);
    const node = await run(createNode(system, type, { adapter }));
    expect(valuesOf(await collect(direct, dest, (got) => got.length >= 1, 5_000))).toEqual([0]);

    // The first "node" dies for good: nothing listens there any more.
    const cutAt = Date.now();
    await first.cut({ refuse: true });
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    await publishValues(direct, source, values);
    const rest = valuesOf(
      await collect(direct, dest, (got) => new Set(valuesOf(got)).size >= 200, 15_000),
    );
    expect(new Set(rest)).toEqual(new Set(values));
    expect(node.state).toBe('running');
    expect(await carrying([first, second], [0, 2])).toEqual([0, 2]);
    // One attempt at the next URL, after the first backoff step: no wait for the dead one.
    expect(Date.now() - cutAt).toBeLessThan(5_000);
  });

  it('url list - round robin: after the second URL dies too, the first (back by then) is used again', async () => {
    const first = await proxy();
    const second = await proxy();
    const adapter = adapterFor([first, second].map((p) => p.urlFor(inject('amqpUrl'))));
    await adapter.open();
    const queue = uniqueName('rr');
    await adapter.declareQueue(queue);
    await first.cut({ refuse: true });
    await adapter.publish([{ queue, body: new TextEncoder().encode('1') }]);
    expect(await carrying([first, second], [0, 2])).toEqual([0, 2]);
    await first.resume();
    await second.cut({ refuse: true });
    await adapter.publish([{ queue, body: new TextEncoder().encode('2') }]);
    expect(await carrying([first, second], [2, 0])).toEqual([2, 0]);
    expect(await adapter.queueStats(queue)).toMatchObject({ ready: 2 });
  });

  it('url list - maxAttempts counts attempts over the whole list; giving up names every URL', async () => {
    const first = await proxy();
    const second = await proxy();
    const adapter = adapterFor(
      [first, second].map((p) => p.urlFor(inject('amqpUrl'))),
      4,
    );
    await adapter.open();
    await Promise.all([first.cut({ refuse: true }), second.cut({ refuse: true })]);
    const error = await adapter.failed();
    expect(error).toMatchObject({ code: 'RMQ_CONNECTION_FAILED', reason: 'gave-up' });
    expect(error.message).toMatch(
      /127\.0\.0\.1:\d+\/?,amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+.*4 attempts failed/,
    );
  });

  it('url list - options: a list is compiled in order; an empty list or a bad entry is refused by name', () => {
    const options = compileRabbitMqOptions({ url: ['amqp://a:pw1@h1', 'amqps://b:pw2@h2:5671'] });
    expect(options.urls).toEqual(['amqp://a:pw1@h1', 'amqps://b:pw2@h2:5671']);
    expect(options.url).toBe('amqp://a:pw1@h1');
    expect(options.redactedUrl).toBe('amqp://a:***@h1,amqps://b:***@h2:5671');
    expect(() => compileRabbitMqOptions({ url: [] })).toThrow(InvalidOptionError);
    expect(() => compileRabbitMqOptions({ url: ['amqp://h', 'http://h'] })).toThrow(
      expect.objectContaining({ option: 'url[1]' }),
    );
    expect(() => compileRabbitMqOptions({ url: ['amqp://h', 'http://u:pw@h'] })).toThrow(
      /^(?!.*pw).*url\[1\]/,
    );
  });
});
