/**
 * Cluster-wide rate limits, as every layer reads them: a node definition's `rateLimit`, the same in its recipe, and
 * the one an operator sets with RATE-LIMIT-REQUEST. The wire shape is `RateLimitSchema`; this file holds the bounds
 * the shape does not say. docs/scaling.md says how the master splits a limit and how a node keeps to its share.
 */
import { numberProblem } from './options.js';

/** The highest limit: a million messages a second. */
export const MAX_RATE_PER_SECOND = 1_000_000;

/** Why `value` is not a rate limit: the first problem and its field, or undefined when it is one. */
export function rateLimitProblem(
  value: unknown,
): { readonly field: string; readonly message: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: '', message: 'must be an object with perSecond (and optionally burst)' };
  const { perSecond, burst } = value as Record<string, unknown>;
  // Above 0: a limit of 0 would stop the type; stopping its nodes says that better.
  const rate = numberProblem(perSecond, { min: Number.MIN_VALUE, max: MAX_RATE_PER_SECOND });
  if (rate !== undefined)
    return { field: 'perSecond', message: rate.replace(/from \S+ to/, 'above 0 and at most') };
  if (burst !== undefined) {
    const problem = numberProblem(burst, { min: 1, max: MAX_RATE_PER_SECOND });
    if (problem !== undefined) return { field: 'burst', message: problem };
  }
  return undefined;
}
