import { afterEach, describe, expect, it } from 'vitest';
import { Router } from 'zeromq';
import { MmopCodec } from '@monomyth/mmop';
import type { Logger } from '@monomyth/mmop';
import { Replies } from './replies.js';

let router: Router | undefined;
afterEach(() => router?.close());

describe('replies', () => {
  it('send failures - replies to 100 peers that are gone write at most ten log lines', async () => {
    // A real ROUTER with the master's `mandatory`: a send to an unknown routing id fails at once (host unreachable).
    router = new Router({ linger: 0, mandatory: true, sendTimeout: 0 });
    await router.bind('tcp://127.0.0.1:*');
    const lines: { fields: Record<string, unknown>; message: string | undefined }[] = [];
    const log = {
      warn: (fields: Record<string, unknown>, message?: string) => lines.push({ fields, message }),
    } as unknown as Logger;
    const replies = new Replies(router, new MmopCodec(), log, () => false);
    const ack = { kind: 'HEARTBEAT-ACK', masterEpoch: 'e-1' } as const;
    for (let i = 0; i < 100; i++) replies.reply(Buffer.from(`gone-${i}`), ack);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines).toHaveLength(10);
    expect(lines.map((line) => line.message)).toEqual(Array(10).fill('could not send a reply'));
    expect(lines[0]?.fields).toMatchObject({ kind: 'HEARTBEAT-ACK', peer: expect.any(String) });
  });
});
