/**
 * The scaling commands, and how `monomyth recipes` shows scaling:
 *
 *   monomyth autoscale TYPE --max N --target-backlog N [--min N] [--up-after-ms MS] [--down-after-ms MS]
 *   monomyth autoscale TYPE --off
 *   monomyth rate-limit TYPE PER_SECOND [--burst N]
 *   monomyth rate-limit TYPE --off
 *
 * A policy's figures are checked here first (min above max is bad usage, exit 2), so the master's refusal (exit 1)
 * is left for what only it knows: a type no worker offers.
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { durationArgument, wholeNumberArgument } from '@monomyth/cli-kit';
import { MAX_RATE_PER_SECOND, autoscalePolicyProblem, numberProblem } from '@monomyth/mmop';
import type { AutoscalePolicy, RateLimit, RecipeInfo } from '@monomyth/mmop';
import type { AutoscaleResult, RateLimitResult } from '@monomyth/control';
import { print, withClient } from './with-client.js';

const nodes = wholeNumberArgument({ min: 0, max: 10_000 });
const backlog = wholeNumberArgument({ min: 1, max: 1_000_000_000 });
const wait = durationArgument({ max: 86_400_000 });

/** A number of messages a second: above 0 (a fraction is fine), at most MAX_RATE_PER_SECOND. */
function rate(text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  const problem =
    value > 0
      ? numberProblem(value, { max: MAX_RATE_PER_SECOND })
      : `must be a number of messages a second above 0, got ${text}`;
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return value;
}

interface AutoscaleFlags {
  off?: boolean;
  min?: number;
  max?: number;
  targetBacklog?: number;
  upAfterMs?: number;
  downAfterMs?: number;
}

export function registerScalingCommands(program: Command): void {
  program
    .command('autoscale')
    .description(
      "size a node type by its source queue's backlog (or stop doing so with --off); see docs/scaling.md",
    )
    .argument('<type>', 'the node type')
    .option('--min <n>', 'fewest nodes (default 1)', nodes)
    .option('--max <n>', 'most nodes', nodes)
    .option('--target-backlog <n>', 'messages waiting per node the type is sized for', backlog)
    .option(
      '--up-after-ms <ms>',
      'how long the backlog stays above target before a rise (5000)',
      wait,
    )
    .option(
      '--down-after-ms <ms>',
      'how long it stays below target before each step down (30000)',
      wait,
    )
    .option('--off', 'stop autoscaling the type; its desired count stays where it is')
    .action(async (type: string, flags: AutoscaleFlags, command: Command) => {
      const policy = policyFrom(flags, command);
      await withClient(
        command,
        async (client, options) => {
          const result = await client.autoscale(type, policy);
          print(options, result, describeResult(result));
        },
        { pingFirst: true },
      );
    });

  program
    .command('rate-limit')
    .description(
      'cap the messages a second processed by all nodes of a type together (or lift the cap with --off)',
    )
    .argument('<type>', 'the node type')
    .argument('[per-second]', 'messages a second for the whole type', rate)
    .option('--burst <n>', 'how far a quiet type may run ahead (default a tenth of a second)', rate)
    .option('--off', 'lift the limit')
    .action(
      async (
        type: string,
        perSecond: number | undefined,
        flags: { burst?: number; off?: boolean },
        command: Command,
      ) => {
        if (flags.off === true && (perSecond !== undefined || flags.burst !== undefined))
          command.error('error: --off takes no rate (per-second, --burst)');
        if (flags.off !== true && perSecond === undefined)
          command.error('error: rate-limit needs messages a second (or --off)');
        const limit: RateLimit | undefined =
          perSecond === undefined
            ? undefined
            : { perSecond, ...(flags.burst !== undefined && { burst: flags.burst }) };
        await withClient(
          command,
          async (client, options) => {
            const result = await client.rateLimit(type, limit);
            print(options, result, describeLimit(result));
          },
          { pingFirst: true },
        );
      },
    );
}

function describeLimit(result: RateLimitResult): string {
  return result.limit
    ? `${result.type}: at most ${result.limit.perSecond} messages a second, split across ${result.nodes} nodes`
    : `${result.type}: no rate limit`;
}

/** The policy the flags ask for (undefined for --off); a usage error (exit 2) when they do not make one. */
function policyFrom(flags: AutoscaleFlags, command: Command): AutoscalePolicy | undefined {
  const figures = [flags.min, flags.max, flags.targetBacklog, flags.upAfterMs, flags.downAfterMs];
  if (flags.off === true) {
    if (figures.some((figure) => figure !== undefined))
      command.error('error: --off takes no policy figures (--min, --max, --target-backlog, ...)');
    return undefined;
  }
  if (flags.max === undefined || flags.targetBacklog === undefined)
    command.error('error: autoscale needs --max and --target-backlog (or --off)');
  const policy: AutoscalePolicy = {
    min: flags.min ?? 1,
    max: flags.max,
    targetBacklogPerNode: flags.targetBacklog,
    ...(flags.upAfterMs !== undefined && { scaleUpAfterMs: flags.upAfterMs }),
    ...(flags.downAfterMs !== undefined && { scaleDownAfterMs: flags.downAfterMs }),
  };
  const problem = autoscalePolicyProblem(policy);
  if (problem) {
    const flag = problem.field === 'min' ? '--min' : '--max';
    command.error(`error: ${flag} ${problem.message}`);
  }
  return policy;
}

function describeResult(result: AutoscaleResult): string {
  return result.policy
    ? `${result.type}: ${describePolicy(result.policy)}; desired now ${result.desired}`
    : `${result.type}: autoscaling off; desired stays ${result.desired}`;
}

function describePolicy(policy: AutoscalePolicy): string {
  const up = policy.scaleUpAfterMs ?? 5000;
  const down = policy.scaleDownAfterMs ?? 30_000;
  return `autoscale ${policy.min} to ${policy.max} nodes at ${policy.targetBacklogPerNode} messages per node (up after ${up} ms, down after ${down} ms)`;
}

/** The AUTOSCALE cell of `monomyth recipes`: `min-max @target`, or `-`. */
export function autoscaleCell(recipe: RecipeInfo): string {
  const policy = recipe.autoscale;
  return policy ? `${policy.min}-${policy.max} @${policy.targetBacklogPerNode}` : '-';
}

/** The RATE LIMIT cell: `N/s`, or `-`. */
export function rateLimitCell(recipe: RecipeInfo): string {
  return recipe.rateLimit ? `${recipe.rateLimit.perSecond}/s` : '-';
}

/** The LAST DECISION cell: `from->to backlog N`, `(no room)` when it could not all be placed, or `-`. */
export function decisionCell(recipe: RecipeInfo, now = Date.now()): string {
  const last = recipe.lastDecision;
  if (!last) return '-';
  const ago = Math.max(0, Math.round((now - last.at) / 1000));
  return `${last.from}->${last.to} backlog ${last.backlog}, ${ago} s ago${last.placed ? '' : ' (no room)'}`;
}
