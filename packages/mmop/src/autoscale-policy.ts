/**
 * Autoscale policies, as every layer reads them: a node definition's `autoscale` (checked when its recipe is
 * compiled), the same policy in the recipe the master learns, and the one an operator sets at run time with
 * AUTOSCALE-REQUEST. The wire shape is `AutoscalePolicySchema`; this file holds the rules the shape alone cannot say
 * (min <= max) and the defaults of the optional durations. docs/scaling.md says what each figure does.
 */
import type { AutoscalePolicy } from './messages.js';
import { durationProblem, wholeNumberProblem } from './options.js';

/** How long the backlog must stay above target before the desired count rises. */
export const DEFAULT_SCALE_UP_AFTER_MS = 5_000;
/** How long the backlog must stay below target before the desired count falls, one node at a time. */
export const DEFAULT_SCALE_DOWN_AFTER_MS = 30_000;
/** The most nodes a policy may ask for (the largest count a START-NODE-REQUEST takes). */
const MAX_NODES = 10_000;
/** The largest backlog per node a policy may aim at. */
const MAX_TARGET = 1_000_000_000;
/** The longest wait a policy may set: one day. */
const MAX_WAIT_MS = 86_400_000;

/** A policy with its durations filled in. */
export interface CompiledAutoscalePolicy {
  readonly min: number;
  readonly max: number;
  readonly targetBacklogPerNode: number;
  readonly scaleUpAfterMs: number;
  readonly scaleDownAfterMs: number;
}

/**
 * Why `value` is not an autoscale policy: the first problem, with the field it is in (`max`, `scaleUpAfterMs`), or
 * undefined when it is one.
 */
export function autoscalePolicyProblem(
  value: unknown,
): { readonly field: string; readonly message: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { field: '', message: 'must be an object with min, max and targetBacklogPerNode' };
  const policy = value as Record<string, unknown>;
  const checks: [string, string | undefined][] = [
    ['min', wholeNumberProblem(policy.min, { min: 0, max: MAX_NODES })],
    ['max', wholeNumberProblem(policy.max, { min: 1, max: MAX_NODES })],
    [
      'targetBacklogPerNode',
      wholeNumberProblem(policy.targetBacklogPerNode, { min: 1, max: MAX_TARGET }),
    ],
    [
      'scaleUpAfterMs',
      policy.scaleUpAfterMs === undefined
        ? undefined
        : durationProblem(policy.scaleUpAfterMs, { max: MAX_WAIT_MS }),
    ],
    [
      'scaleDownAfterMs',
      policy.scaleDownAfterMs === undefined
        ? undefined
        : durationProblem(policy.scaleDownAfterMs, { max: MAX_WAIT_MS }),
    ],
  ];
  for (const [field, message] of checks) if (message !== undefined) return { field, message };
  if ((policy.min as number) > (policy.max as number))
    return { field: 'max', message: `is ${String(policy.max)}, below min ${String(policy.min)}` };
  return undefined;
}

/** The policy with its defaults filled in; the caller has checked it with `autoscalePolicyProblem`. */
export function compileAutoscalePolicy(policy: AutoscalePolicy): CompiledAutoscalePolicy {
  return {
    min: policy.min,
    max: policy.max,
    targetBacklogPerNode: policy.targetBacklogPerNode,
    scaleUpAfterMs: policy.scaleUpAfterMs ?? DEFAULT_SCALE_UP_AFTER_MS,
    scaleDownAfterMs: policy.scaleDownAfterMs ?? DEFAULT_SCALE_DOWN_AFTER_MS,
  };
}
