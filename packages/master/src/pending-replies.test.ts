import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingReplies } from './pending-replies.js';

describe('pending replies', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answer - settles the request with its answer once; a late or unknown answer is refused', async () => {
    const pending = new PendingReplies<string>();
    const settled = pending.expect('r1', 'w1', 1000);
    expect(pending.size).toBe(1);
    expect(pending.answer('r1', 'yes')).toBe(true);
    await expect(settled).resolves.toEqual({ outcome: 'answered', answer: 'yes' });
    expect(pending.answer('r1', 'again')).toBe(false);
    expect(pending.answer('nope', 'x')).toBe(false);
    expect(pending.size).toBe(0);
    // Its timer is gone with it.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('timeout - an unanswered request settles as a timeout after its own time, not before', async () => {
    const pending = new PendingReplies<string>();
    let result: unknown;
    void pending.expect('r1', 'w1', 1000).then((settlement) => (result = settlement));
    await vi.advanceTimersByTimeAsync(999);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toEqual({ outcome: 'timeout', reason: 'no answer from w1 within 1000 ms' });
    expect(pending.size).toBe(0);
    expect(pending.answer('r1', 'late')).toBe(false);
  });

  it('worker lost - settles every request sent to that worker, and only those', async () => {
    const pending = new PendingReplies<string>();
    const a = pending.expect('r1', 'w1', 1000);
    const b = pending.expect('r2', 'w1', 1000);
    const c = pending.expect('r3', 'w2', 1000);
    pending.failWorker('w1', 'w1 was lost');
    await expect(a).resolves.toEqual({ outcome: 'worker-lost', reason: 'w1 was lost' });
    await expect(b).resolves.toEqual({ outcome: 'worker-lost', reason: 'w1 was lost' });
    expect(pending.size).toBe(1);
    expect(pending.answer('r3', 'ok')).toBe(true);
    await expect(c).resolves.toEqual({ outcome: 'answered', answer: 'ok' });
  });

  it('worker lost - only what still waits: answered and timed-out requests are not settled again', async () => {
    const pending = new PendingReplies<string>();
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++)
      void pending
        .expect(`r${i}`, 'w1', i === 3 ? 500 : 1000)
        .then((settlement) => outcomes.push(`r${i}:${settlement.outcome}`));
    pending.answer('r0', 'ok');
    await vi.advanceTimersByTimeAsync(500);
    pending.failWorker('w1', 'lost');
    pending.failWorker('w1', 'lost again');
    await vi.advanceTimersByTimeAsync(0);
    expect(outcomes.sort()).toEqual([
      'r0:answered',
      'r1:worker-lost',
      'r2:worker-lost',
      'r3:timeout',
    ]);
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fail - a request whose send failed settles at once with the outcome given', async () => {
    const pending = new PendingReplies<string>();
    const settled = pending.expect('r1', 'w1', 1000);
    expect(pending.fail('r1', 'send-failed', 'socket closed')).toBe(true);
    await expect(settled).resolves.toEqual({ outcome: 'send-failed', reason: 'socket closed' });
    expect(pending.fail('r1', 'send-failed', 'again')).toBe(false);
  });

  it('close - settles everything still waiting as closed, and leaves no timer', async () => {
    const pending = new PendingReplies<string>();
    const all = [pending.expect('r1', 'w1', 1000), pending.expect('r2', 'w2', 5000)];
    pending.closeAll('master closing');
    for (const settled of all)
      await expect(settled).resolves.toEqual({ outcome: 'closed', reason: 'master closing' });
    expect(pending.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
