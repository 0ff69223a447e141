/** Feeds orders to the routing system in one process and checks where each went: `pnpm --filter @monomyth/example-routing check`. */
import { startSystem } from '@monomyth/testing';
import system, { BIG_ORDER } from './system.js';
import type { Order, PricedOrder } from './system.js';

const orders: Order[] = Array.from({ length: 300 }, (_, id) => ({
  id,
  amount: id % 50 === 0 ? -1 : (id * 37) % 2000,
}));
const valid = orders.filter((order) => order.amount >= 0);
const harness = await startSystem(system);
try {
  await harness.push(orders, { queue: 'orders' });
  const priced = (await harness.collect(valid.length, {
    queue: 'priced',
    timeoutMs: 30_000,
  })) as PricedOrder[];
  const failures = await harness.failures('INGEST', orders.length - valid.length);
  const big = priced.filter((order) => order.lane === 'big').length;
  const wrongLane = priced.filter(
    (order) => order.amount >= BIG_ORDER !== (order.lane === 'big'),
  ).length;
  console.log(
    `${orders.length} orders: ${priced.length} priced (${big} big, ${priced.length - big} small), ${failures.length} failed`,
  );
  console.log(
    `  first failure: ${failures[0]?.error} (step ${failures[0]?.step}, ${failures[0]?.attempts} attempt)`,
  );
  if (wrongLane > 0 || priced.length !== valid.length) process.exitCode = 1;
} finally {
  await harness.stop();
}
