import { describe, expect, it } from 'vitest';
import { BatchResult } from './batch-result.js';
import { MessageRefusedError, NonRetryableError, UnknownRouteError } from './errors.js';
import { Rung } from './fail-placement.js';
import { MonomythHeader } from './headers.js';
import { cleanPlan, planFailures, planSettlement } from './settle-plan.js';
import type { FailureRules, SettledBatch } from './settle-plan.js';
import { MessagesRejectedError } from './stream-errors.js';
import type { Delivery, OutgoingMessage } from './stream-adapter.js';

const retry = {
  maxAttempts: 3,
  initialDelayMs: 100,
  maxDelayMs: 1000,
  multiplier: 2,
  jitter: 0,
  maxRedeliveries: 10,
};
const node = { type: 'T', name: 'T:1', worker: 'w1' };
const NOW = '2026-12-03T08:00:00.000Z';

function rules(overrides: Partial<FailureRules> = {}): FailureRules {
  return {
    retry,
    failQueue: 'T.fail',
    node,
    adapterRetries: true,
    random: () => 0.5,
    nowIso: NOW,
    ...overrides,
  };
}

function delivery(id: number, attempt = 1): Delivery {
  return {
    queue: 'in',
    body: new Uint8Array([id]),
    headers: { id },
    attempt,
    redelivered: false,
  };
}

function output(id: number): OutgoingMessage {
  return { queue: 'out', body: new Uint8Array([100 + id]) };
}

const transformError = (message = 'boom') => ({
  step: 'transform' as const,
  error: new Error(message),
});

/** A batch of `n` deliveries where message i gets `fates[i]`: outputs, a failure, or given back. */
function batchOf(
  fates: readonly (number | 'fail' | 'nonRetryable' | 'route' | 'abort')[],
  attempts: readonly number[] = [],
): { result: BatchResult; deliveries: Delivery[]; view: SettledBatch } {
  const deliveries = fates.map((_, i) => delivery(i, attempts[i] ?? 1));
  const result = new BatchResult(deliveries);
  fates.forEach((fate, i) => {
    const d = deliveries[i] as Delivery;
    if (fate === 'fail') result.failed(i, d, transformError());
    else if (fate === 'nonRetryable')
      result.failed(i, d, { step: 'transform', error: new NonRetryableError('bad input') });
    else if (fate === 'route')
      result.failed(i, d, { step: 'place', error: new UnknownRouteError('nowhere', ['a', 'b']) });
    else if (fate === 'abort') result.aborted(i, d);
    else if (fate === 0) result.none(i, d);
    else if (fate === 1) result.one(i, d, output(i));
    else
      result.many(
        i,
        d,
        Array.from({ length: fate }, (_v, k) => output(i * 10 + k)),
      );
  });
  const view: SettledBatch = {
    processed: result.processed,
    done: result.done(),
    giveBack: result.giveBack ?? [],
    ownerOf: (index) => result.ownerOf(index),
  };
  return { result, deliveries, view };
}

const ok = { status: 'fulfilled', value: undefined } as const;
const rejected = (reason: unknown) => ({ status: 'rejected', reason }) as const;
const refusal = (indexes: readonly number[], total: number) =>
  new MessagesRejectedError(
    'publish',
    indexes.map((index) => ({
      index,
      reason: `too large ${index}`,
      cause: new Error(`c${index}`),
    })),
    total,
  );

describe('settle plan - failures', () => {
  it('all ok - no failure: the outputs are the publish, nothing retried or copied', () => {
    const { result } = batchOf([1, 1, 1]);
    const plan = planFailures([], result.publishes, rules());
    expect(plan.publishes).toBe(result.publishes);
    expect(plan.outputCount).toBe(3);
    expect(plan.copies).toEqual([]);
    expect(plan.retries).toEqual([]);
    expect(plan.delayed).toEqual([]);
  });

  it('retry - a failure with attempts left is retried after the backoff, with the next attempt in its headers', () => {
    const { result, deliveries } = batchOf([1, 'fail', 1], [1, 2, 1]);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    expect(plan.copies).toEqual([]);
    expect(plan.retries).toHaveLength(1);
    const [planned] = plan.retries;
    expect(planned?.retry.delivery).toBe(deliveries[1]);
    // Attempt 2 failed: 100 * 2^(2-1), no jitter.
    expect(planned?.retry.delayMs).toBe(200);
    expect(planned?.retry.headers[MonomythHeader.Attempt]).toBe(3);
    expect(planned?.retry.headers[MonomythHeader.ErrorMessage]).toBe('boom');
    expect(planned?.retry.headers[MonomythHeader.Step]).toBe('transform');
    expect(planned?.retry.headers[MonomythHeader.LastFailureAt]).toBe(NOW);
    expect(plan.delayed).toEqual([planned?.retry]);
    expect(plan.publishes).toBe(result.publishes);
  });

  it('retry - jitter comes from the random source given', () => {
    const { result } = batchOf(['fail']);
    const jittery = { ...retry, jitter: 0.5 };
    const low = planFailures(result.failures ?? [], [], rules({ retry: jittery, random: () => 0 }));
    const high = planFailures(
      result.failures ?? [],
      [],
      rules({ retry: jittery, random: () => 0.75 }),
    );
    expect(low.retries[0]?.retry.delayMs).toBe(50);
    expect(high.retries[0]?.retry.delayMs).toBe(125);
  });

  it('held retries - without an adapter that retries later, retries are planned for the node to hold', () => {
    const { result } = batchOf(['fail', 'fail']);
    const plan = planFailures(result.failures ?? [], [], rules({ adapterRetries: false }));
    expect(plan.retries).toHaveLength(2);
    expect(plan.delayed).toEqual([]);
  });

  it('retries exhausted - the last attempt goes to the fail queue with why, after the outputs', () => {
    const { result, deliveries } = batchOf([1, 'fail'], [1, 3]);
    const outputs = result.publishes;
    const plan = planFailures(result.failures ?? [], outputs, rules());
    expect(plan.retries).toEqual([]);
    expect(plan.copies).toEqual([
      { delivery: deliveries[1], failure: result.failures?.[0]?.failure, rung: Rung.Full },
    ]);
    expect(plan.publishes).toHaveLength(2);
    expect(plan.publishes[0]).toBe(outputs[0]);
    const copy = plan.publishes[1];
    expect(copy?.queue).toBe('T.fail');
    expect(copy?.body).toBe(deliveries[1]?.body);
    expect(copy?.headers).toMatchObject({
      id: 1,
      [MonomythHeader.Attempts]: 3,
      [MonomythHeader.NonRetryable]: false,
      [MonomythHeader.NodeName]: 'T:1',
      [MonomythHeader.Worker]: 'w1',
      [MonomythHeader.SourceQueue]: 'in',
    });
    // The batch's own outputs are left as they were.
    expect(outputs).toHaveLength(1);
  });

  it('NonRetryable - fails at the first attempt, marked non-retryable', () => {
    const { result } = batchOf(['nonRetryable']);
    const plan = planFailures(result.failures ?? [], [], rules());
    expect(plan.retries).toEqual([]);
    expect(plan.copies).toHaveLength(1);
    expect(plan.publishes[0]?.headers?.[MonomythHeader.NonRetryable]).toBe(true);
  });

  it('route unknown - a route to a destination the node lacks is not retried (it would choose it again)', () => {
    const { result } = batchOf([1, 'route']);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    expect(plan.retries).toEqual([]);
    expect(plan.copies[0]?.failure.step).toBe('place');
    expect(plan.publishes[1]?.headers?.[MonomythHeader.ErrorName]).toBe('UnknownRouteError');
  });
});

describe('settle plan - settlement', () => {
  it('all ok - acks the batch in order, counts processed and published', () => {
    const { result, deliveries, view } = batchOf([1, 2, 0]);
    const s = planSettlement(cleanPlan(result.publishes), view, ok);
    expect(s.acks).toEqual(deliveries);
    expect(s.giveBack).toEqual([]);
    expect(s.toPlace).toEqual([]);
    expect(s.streamError).toBeUndefined();
    expect(s.counts).toEqual({ processed: 3, failed: 0, retried: 0, published: 3 });
  });

  it('filters - a message with no output is processed and acked, publishing nothing', () => {
    const { result, deliveries, view } = batchOf([0, 0]);
    const s = planSettlement(cleanPlan(result.publishes), view, ok);
    expect(s.acks).toEqual(deliveries);
    expect(s.counts).toEqual({ processed: 2, failed: 0, retried: 0, published: 0 });
  });

  it('retry - acks the outputs first, then the retried delivery once its copy is stored', () => {
    const { result, deliveries, view } = batchOf([1, 'fail', 1]);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    const s = planSettlement(plan, view, ok, ok);
    expect(s.acks).toEqual([deliveries[0], deliveries[2], deliveries[1]]);
    expect(s.counts).toEqual({ processed: 2, failed: 0, retried: 1, published: 2 });
  });

  it('held retries - a held delivery is not acked with the batch (the node acks it on release)', () => {
    const { result, deliveries, view } = batchOf([1, 'fail']);
    const plan = planFailures(
      result.failures ?? [],
      result.publishes,
      rules({ adapterRetries: false }),
    );
    const s = planSettlement(plan, view, ok);
    expect(s.acks).toEqual([deliveries[0]]);
    expect(s.giveBack).toEqual([]);
    expect(s.counts.retried).toBe(1);
  });

  it('fail queue - the failed delivery is acked after the outputs, once its copy is durable', () => {
    const { result, deliveries, view } = batchOf([1, 'nonRetryable', 1]);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    const s = planSettlement(plan, view, ok);
    expect(s.acks).toEqual([deliveries[0], deliveries[2], deliveries[1]]);
    expect(s.counts).toEqual({ processed: 2, failed: 1, retried: 0, published: 2 });
  });

  it('aborted - messages the stop cut short are given back, the rest settled', () => {
    const { result, deliveries, view } = batchOf([1, 'abort', 'abort']);
    const s = planSettlement(cleanPlan(result.publishes), view, ok);
    expect(s.acks).toEqual([deliveries[0]]);
    expect(s.giveBack).toEqual([deliveries[1], deliveries[2]]);
  });

  it('partial rejection - a refused output fails only its own delivery, once, at step place', () => {
    // Outputs: d0 -> [0], d1 -> [1, 2, 3] (fan-out), d2 -> [4]. Outputs 2 and 3 of d1 are refused.
    const { result, deliveries, view } = batchOf([1, 3, 1]);
    const error = refusal([2, 3], 5);
    const s = planSettlement(cleanPlan(result.publishes), view, rejected(error));
    expect(s.refused).toEqual([
      { delivery: deliveries[1], reason: 'too large 2', cause: error.rejected[0]?.cause },
    ]);
    expect(s.toPlace).toHaveLength(1);
    const copy = s.toPlace[0];
    expect(copy?.delivery).toBe(deliveries[1]);
    expect(copy?.rung).toBe(Rung.Full);
    expect(copy?.failure.step).toBe('place');
    expect(copy?.failure.error).toBeInstanceOf(MessageRefusedError);
    expect((copy?.failure.error as MessageRefusedError).reason).toBe('too large 2');
    expect(s.acks).toEqual([deliveries[0], deliveries[2]]);
    expect(s.streamError).toBeUndefined();
    expect(s.counts).toEqual({ processed: 2, failed: 1, retried: 0, published: 3 });
  });

  it('partial rejection - a refused fail-queue copy is placed again a rung down, and not acked yet', () => {
    const { result, deliveries, view } = batchOf([1, 'nonRetryable', 'nonRetryable']);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    expect(plan.publishes).toHaveLength(3);
    // The copy of d2 (publishes[2]) is refused; the output and d1's copy are stored.
    const s = planSettlement(plan, view, rejected(refusal([2], 3)));
    expect(s.refused).toEqual([]);
    expect(s.toPlace).toEqual([
      { delivery: deliveries[2], failure: plan.copies[1]?.failure, rung: Rung.Trimmed },
    ]);
    expect(s.acks).toEqual([deliveries[0], deliveries[1]]);
    expect(s.counts).toEqual({ processed: 1, failed: 2, retried: 0, published: 1 });
    // The plan's own copies are not changed.
    expect(plan.copies[1]?.rung).toBe(Rung.Full);
  });

  it('partial rejection - a refused retry copy sends its delivery to the fail queue instead', () => {
    const { result, deliveries, view } = batchOf(['fail', 1, 'fail']);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    const s = planSettlement(plan, view, ok, rejected(refusal([1], 2)));
    expect(s.toPlace).toHaveLength(1);
    expect(s.toPlace[0]?.delivery).toBe(deliveries[2]);
    expect(s.toPlace[0]?.rung).toBe(Rung.Full);
    expect((s.toPlace[0]?.failure.error as Error).message).toContain('a retry copy');
    expect(s.acks).toEqual([deliveries[1], deliveries[0]]);
    expect(s.counts).toEqual({ processed: 1, failed: 1, retried: 1, published: 1 });
  });

  it('stream failure - a failed publish gives back everything that depended on it, burns no attempt', () => {
    const { result, deliveries, view } = batchOf([1, 'nonRetryable', 'fail', 'abort']);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    const cause = new Error('channel closed');
    const s = planSettlement(plan, view, rejected(cause), ok);
    expect(s.streamError).toBe(cause);
    // The retry copy was stored: its delivery is settled; the rest goes back.
    expect(s.acks).toEqual([deliveries[2]]);
    expect(s.giveBack).toEqual([deliveries[3], deliveries[0], deliveries[1]]);
    expect(s.toPlace).toEqual([]);
    expect(s.counts.published).toBe(0);
  });

  it('stream failure - a publish rejected with nothing gets an error of its own', () => {
    const { result, view } = batchOf([1]);
    const s = planSettlement(cleanPlan(result.publishes), view, rejected(undefined));
    expect((s.streamError as Error).message).toBe('publish failed');
  });

  it('stream failure - a failed retry store gives the retried deliveries back, the published ones are acked', () => {
    const { result, deliveries, view } = batchOf([1, 'fail', 'nonRetryable']);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    const s = planSettlement(plan, view, ok, rejected(undefined));
    expect((s.streamError as Error).message).toBe('retryLater failed');
    expect(s.acks).toEqual([deliveries[0], deliveries[2]]);
    expect(s.giveBack).toEqual([deliveries[1]]);
  });

  it('stream failure - both failing: nothing acked, all back, the publish error first', () => {
    const { result, deliveries, view } = batchOf([1, 'fail']);
    const plan = planFailures(result.failures ?? [], result.publishes, rules());
    const publishError = new Error('publish');
    const s = planSettlement(plan, view, rejected(publishError), rejected(new Error('store')));
    expect(s.streamError).toBe(publishError);
    expect(s.acks).toEqual([]);
    expect(s.giveBack).toEqual([deliveries[0], deliveries[1]]);
  });
});
