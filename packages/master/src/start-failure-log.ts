/**
 * The `node failed to start` warning, at most 20 lines per 10 s per master, then a count of those left out: when 1,000
 * workers are lost at once, every start waiting on them fails, and a line each cost more than the failures did.
 */
import type { MasterContext } from './context.js';
import { RateLimiter } from './rate-limited.js';

const limiters = new WeakMap<MasterContext, RateLimiter>();

export function logStartFailure(context: MasterContext, fields: Record<string, unknown>): void {
  let limiter = limiters.get(context);
  if (!limiter) limiters.set(context, (limiter = new RateLimiter(20, 10_000)));
  const { allowed, suppressed } = limiter.take(Date.now());
  if (suppressed > 0)
    context.log.warn({ suppressed }, 'more nodes failed to start than were logged');
  if (allowed) context.log.warn(fields, 'node failed to start');
}
