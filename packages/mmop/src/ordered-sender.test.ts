import { describe, expect, it } from 'vitest';
import { OrderedSender, SendQueueFullError, SenderClosedError } from './ordered-sender.js';

function deferred(): {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
} {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ordered sender', () => {
  it('ordered sender - one send at a time, in the order given, each settled with its own outcome', async () => {
    const started: string[] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const sender = new OrderedSender(async (frames) => {
      started.push(frames[0]!.toString());
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const gate = deferred();
      gates.push(gate);
      try {
        await gate.promise;
      } finally {
        inFlight -= 1;
      }
    });
    const a = sender.send([Buffer.from('a')]);
    const b = sender.send([Buffer.from('b')]);
    const c = sender.send([Buffer.from('c')]);
    expect(sender.queued).toBe(2);
    gates[0]!.resolve();
    await a;
    await Promise.resolve();
    gates[1]!.reject(new Error('EHOSTUNREACH'));
    await expect(b).rejects.toThrow('EHOSTUNREACH');
    await Promise.resolve();
    gates[2]!.resolve();
    await c;
    expect(started).toEqual(['a', 'b', 'c']);
    expect(maxInFlight).toBe(1);
  });

  it('ordered sender - past its bound it refuses at once; closed, it fails what waits', async () => {
    const gate = deferred();
    const sender = new OrderedSender(() => gate.promise, { maxQueued: 2 });
    const first = sender.send([Buffer.from('1')]);
    const second = sender.send([Buffer.from('2')]);
    const third = sender.send([Buffer.from('3')]);
    await expect(sender.send([Buffer.from('4')])).rejects.toBeInstanceOf(SendQueueFullError);
    sender.close();
    await expect(second).rejects.toBeInstanceOf(SenderClosedError);
    await expect(third).rejects.toBeInstanceOf(SenderClosedError);
    await expect(sender.send([Buffer.from('5')])).rejects.toBeInstanceOf(SenderClosedError);
    gate.resolve();
    await first;
  });
});
