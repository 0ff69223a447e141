/**
 * Orders, routed. INGEST checks each order and routes it by size: small ones to `small-orders`, big ones to both
 * `big-orders` and `audit` (fan-out). SMALL and BIG price them and both write to `priced` (fan-in). AUDIT is a sink: it
 * logs, and sends nothing on. An order that cannot be valid (a negative amount) is refused with a NonRetryableError
 * and lands at once in `INGEST-fail`, with headers that say why; one whose check fails for a passing reason would be
 * retried first.
 *
 *   orders -> INGEST -+-> small-orders -> SMALL -+-> priced
 *                     +-> big-orders ---> BIG ---+
 *                     +-> audit -------> AUDIT (sink)
 *                     x-> INGEST-fail
 */
import { NonRetryableError, defineSystem } from '@monomyth/node';

export interface Order {
  readonly id: number;
  readonly amount: number;
}

export interface PricedOrder extends Order {
  readonly fee: number;
  readonly lane: 'small' | 'big';
}

/** Orders of this amount or more are big. */
export const BIG_ORDER = 1000;

export default defineSystem({
  name: 'routing',
  nodes: [
    {
      name: 'INGEST',
      source: 'orders',
      dest: { small: 'small-orders', big: ['big-orders', 'audit'] },
      transform: (order: Order): Order => {
        if (!(order.amount >= 0))
          throw new NonRetryableError(`order ${order.id} has an invalid amount ${order.amount}`);
        return order;
      },
      route: (order) => (order.amount >= BIG_ORDER ? 'big' : 'small'),
      retry: { maxAttempts: 3, initialDelayMs: 50 },
    },
    {
      name: 'SMALL',
      source: 'small-orders',
      dest: 'priced',
      transform: (order: Order): PricedOrder => ({ ...order, fee: 1, lane: 'small' }),
    },
    {
      name: 'BIG',
      source: 'big-orders',
      dest: 'priced',
      transform: (order: Order): PricedOrder => ({
        ...order,
        fee: Math.round(order.amount * 0.001),
        lane: 'big',
      }),
    },
    {
      name: 'AUDIT',
      source: 'audit',
      dest: null,
      transform: (order: Order, ctx) => {
        ctx.logger.info({ orderId: order.id, amount: order.amount }, 'big order audited');
      },
    },
  ],
});
