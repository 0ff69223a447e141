/**
 * What a worker answers to FAIL-QUEUE, without a master: the bounds on a peeked message (so that a page of the largest
 * fits the master's default frame), and the refusals it names (no such type, no capability, a generator's redrive).
 */
import { describe, expect, it } from 'vitest';
import { MAX_FAIL_QUEUE_PEEK, MmopCodec, noopLogger } from '@monomyth/mmop';
import { MonomythHeader, defineSystem } from '@monomyth/node';
import { MemoryStreamAdapter } from '@monomyth/node/memory';
import { answerFailQueue, describeFailed, fitted } from './fail-queue-requests.js';

const system = defineSystem({
  name: 'bounds',
  nodes: [
    { name: 'GEN', generate: () => [], dest: 'in' },
    { name: 'CHECK', source: 'in', transform: (value: unknown) => value },
  ],
});

describe('worker - fail queue requests', () => {
  it('describeFailed - cuts reason, values, preview and the other headers; bad UTF-8 shows as U+FFFD', () => {
    const headers: Record<string, string | number> = {
      [MonomythHeader.ErrorMessage]: 'r'.repeat(5000),
      [MonomythHeader.Attempts]: '4',
      [MonomythHeader.Redrives]: 2,
    };
    for (let i = 0; i < 40; i++) headers[`h${i}`] = 'v'.repeat(1000);
    const body = new Uint8Array(10_000).fill(0x61);
    body[0] = 0xff;
    const info = describeFailed({ body, headers });
    expect(info.reason).toHaveLength(1000);
    expect(info.attempts).toBe(4);
    expect(info.redrives).toBe(2);
    expect(info.bodyBytes).toBe(10_000);
    expect(info.preview.startsWith('\uFFFD')).toBe(true);
    expect(info.preview.length).toBeLessThanOrEqual(120);
    expect(info.headers).toHaveLength(16);
    expect(info.headers.every((header) => header.value.length <= 200)).toBe(true);
    // The largest page fits the master's default frame (1 MiB) with room to spare.
    const frames = new MmopCodec().encode({
      kind: 'FAIL-QUEUE-SUCCESS',
      requestId: 'r',
      type: 'CHECK',
      action: 'inspect',
      queue: 'CHECK-fail',
      count: 1,
      messages: Array.from({ length: MAX_FAIL_QUEUE_PEEK }, () => info),
    });
    expect(frames[2]?.byteLength).toBeLessThan(512 * 1024);
  });

  it('answerFailQueue - names what it cannot do: unknown type, no capability, a generator without --to', async () => {
    const adapter = new MemoryStreamAdapter();
    await adapter.open();
    const env = { workerId: 'w', system, adapter, log: noopLogger };
    const ask = { kind: 'FAIL-QUEUE', requestId: 'r' } as const;
    expect(await answerFailQueue({ ...ask, type: 'NOPE', action: 'inspect' }, env)).toMatchObject({
      kind: 'FAIL-QUEUE-FAILURE',
      status: 400,
      code: 'UNKNOWN_TYPE',
    });
    expect(await answerFailQueue({ ...ask, type: 'GEN', action: 'redrive' }, env)).toMatchObject({
      status: 400,
      code: 'UNKNOWN_QUEUE',
      reason: expect.stringContaining('--to') as unknown,
    });
    expect(
      await answerFailQueue({ ...ask, type: 'GEN', action: 'redrive', to: 'in' }, env),
    ).toMatchObject({ kind: 'FAIL-QUEUE-SUCCESS', moved: 0, to: 'in' });
    const bare = {
      open: () => adapter.open(),
      close: () => adapter.close(),
      declareQueue: (queue: string) => adapter.declareQueue(queue),
      consume: adapter.consume.bind(adapter),
      publish: adapter.publish.bind(adapter),
    };
    expect(
      await answerFailQueue({ ...ask, type: 'CHECK', action: 'purge' }, { ...env, adapter: bare }),
    ).toMatchObject({ status: 501, code: 'NOT_CAPABLE' });
    await adapter.close();
    expect(await answerFailQueue({ ...ask, type: 'CHECK', action: 'purge' }, env)).toMatchObject({
      status: 500,
      code: 'FAIL_QUEUE_FAILED',
    });
  });

  it('fitted - keeps the first messages that fit the limit and counts the rest; no limit, no cut', () => {
    const codec = new MmopCodec();
    const messages = Array.from({ length: 50 }, (_, i) =>
      describeFailed({
        body: new Uint8Array(100).fill(0x61),
        headers: { [MonomythHeader.ErrorMessage]: `reason ${i} `.padEnd(1000, 'r') },
      }),
    );
    const answer = {
      kind: 'FAIL-QUEUE-SUCCESS',
      requestId: 'r-1',
      type: 'CHECK',
      action: 'inspect',
      queue: 'CHECK-fail',
      count: 50,
      messages,
    } as const;
    const size = (message: typeof answer | ReturnType<typeof fitted>): number =>
      (codec.encode(message)[2] as Uint8Array).byteLength;
    expect(fitted(answer, undefined)).toBe(answer);
    expect(fitted(answer, size(answer))).toBe(answer);
    const cut = fitted(answer, 16_384);
    expect(size(cut)).toBeLessThanOrEqual(16_384);
    expect(cut.messages?.length).toBeGreaterThan(10);
    expect(cut.messages).toEqual(messages.slice(0, cut.messages?.length));
    expect(cut.omitted).toBe(50 - (cut.messages?.length ?? 0));
    // Not one more would have fitted.
    const oneMore = { ...answer, messages: messages.slice(0, (cut.messages?.length ?? 0) + 1) };
    expect(size(oneMore)).toBeGreaterThan(16_384);
    expect(fitted(answer, 100)).toMatchObject({ messages: [], omitted: 50 });
  });
});
