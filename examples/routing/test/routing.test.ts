import { afterEach, describe, expect, it } from 'vitest';
import { startSystem } from '@monomyth/testing';
import type { SystemHarness } from '@monomyth/testing';
import system, { BIG_ORDER } from '../src/system.js';
import type { Order, PricedOrder } from '../src/system.js';

let harness: SystemHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe('routing example', () => {
  it('routing - orders are routed by size, big ones also audited, all priced once; invalid ones fail at once with why', async () => {
    harness = await startSystem(system);
    const orders: Order[] = Array.from({ length: 120 }, (_, id) => ({
      id,
      amount: id % 40 === 0 ? -5 : id * 20,
    }));
    const valid = orders.filter((order) => order.amount >= 0);
    await harness.push(orders, { queue: 'orders' });

    const priced = (await harness.collect(valid.length, {
      queue: 'priced',
      timeoutMs: 20_000,
    })) as PricedOrder[];
    expect(priced.map((order) => order.id).sort((a, b) => a - b)).toEqual(
      valid.map((order) => order.id),
    );
    for (const order of priced)
      expect(order.lane).toBe(order.amount >= BIG_ORDER ? 'big' : 'small');
    expect(priced.find((order) => order.id === 100)).toEqual({
      id: 100,
      amount: 2000,
      fee: 2,
      lane: 'big',
    });

    const failures = await harness.failures('INGEST', 3);
    expect(failures.map((failure) => (failure.value as Order).id).sort((a, b) => a - b)).toEqual([
      0, 40, 80,
    ]);
    expect(failures[0]).toMatchObject({
      errorName: 'NonRetryableError',
      step: 'transform',
      attempts: 1,
    });
    expect(failures[0]?.error).toMatch(/invalid amount -5/);

    const audit = harness.nodes.find((node) => node.type === 'AUDIT');
    const bigOrders = valid.filter((order) => order.amount >= BIG_ORDER).length;
    await expect.poll(() => audit?.stats().processed).toBe(bigOrders);
  });
});
