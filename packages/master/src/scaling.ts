/**
 * What the master keeps of its desired state beyond one run, and the operator's autoscale requests: the autoscaler
 * (autoscaler.ts), the state file (desired-state.ts) and the order in which a restarted master takes them back.
 *
 * After a restart, the desired counts read from the state file wait for the recovery window to end (or for the first
 * operator request): until then workers re-register one by one, and placing the file's counts before they all have
 * would start nodes that are already running elsewhere. The policies set at run time apply at once; the autoscaler
 * waits with the counts. Every change of desired state after that is saved, at once after a request and otherwise at
 * the next tick (one heartbeat interval).
 */
import { ReplyCode, Status, autoscalePolicyProblem } from '@monomyth/mmop';
import { rateLimitProblem } from '@monomyth/mmop';
import type { MessageOf, MmopMessage, Recipe, RecipeInfo } from '@monomyth/mmop';
import { Autoscaler } from './autoscaler.js';
import type { BacklogSource } from './autoscaler.js';
import type { MasterContext } from './context.js';
import { DesiredStateFile } from './desired-state.js';
import type { DesiredState } from './desired-state.js';
import { RateLimits } from './rate-limits.js';

export interface ScalingOptions {
  readonly backlog: BacklogSource;
  /** The state file, or undefined to keep the desired state in memory only. */
  readonly stateFile: string | undefined;
  /** The state read from it at start, if there was one. */
  readonly restored: DesiredState | undefined;
  /** Whether the master is still in its recovery window (learning desired counts from READY). */
  readonly inRecovery: () => boolean;
}

export class Scaling {
  readonly #context: MasterContext;
  readonly #autoscaler: Autoscaler;
  readonly #rateLimits: RateLimits;
  readonly #file: DesiredStateFile | undefined;
  readonly #inRecovery: () => boolean;
  /** Desired counts from the state file, waiting for the recovery window to end. */
  #pending: Readonly<Record<string, number>> | undefined;

  constructor(context: MasterContext, options: ScalingOptions) {
    this.#context = context;
    this.#autoscaler = new Autoscaler(context, options.backlog);
    this.#rateLimits = new RateLimits(context);
    this.#inRecovery = options.inRecovery;
    this.#file =
      options.stateFile === undefined
        ? undefined
        : new DesiredStateFile(options.stateFile, context.log, options.restored);
    if (options.restored) {
      this.#autoscaler.restore(options.restored.autoscale);
      this.#rateLimits.restore(options.restored.rateLimits);
      this.#pending = options.restored.desired;
      context.log.info(
        {
          path: options.stateFile,
          types: Object.keys(options.restored.desired).length,
          policies: Object.keys(options.restored.autoscale).length,
        },
        'desired state read; its counts apply when the recovery window ends',
      );
    }
  }

  /** Every heartbeat interval: the restored counts once the window is over, autoscale decisions, and a save. */
  tick(): void {
    if (this.#pending && !this.#inRecovery()) this.recoveryOver();
    if (!this.#pending) this.#autoscaler.tick();
    this.#rateLimits.split();
    this.save();
  }

  /** The recipe a START-NODE carries (with the node's share of its type's rate limit). */
  startRecipe(recipe: Recipe): Recipe {
    return this.#rateLimits.startRecipe(recipe);
  }

  /** The recovery window ended (or an operator spoke): the desired counts read from the state file apply now. */
  recoveryOver(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    const { cluster, log } = this.#context;
    for (const [type, count] of Object.entries(pending)) {
      const learned = cluster.desired(type);
      cluster.changeDesired(type, count - learned);
      if (learned !== count) log.info({ type, learned, desired: count }, 'desired count restored');
    }
  }

  /** AUTOSCALE-REQUEST: sets or clears the type's policy, applies it at once, and saves it. */
  request(request: MessageOf<'AUTOSCALE-REQUEST'>): MmopMessage {
    const { requestId, type, policy } = request;
    const { cluster } = this.#context;
    const refused = this.#refusal(
      'AUTOSCALE-REQUEST-FAILURE',
      requestId,
      type,
      policy && autoscalePolicyProblem(policy),
    );
    if (refused) return refused;
    this.recoveryOver();
    this.#autoscaler.set(type, policy);
    this.save();
    const now = this.#autoscaler.policyOf(type);
    return {
      kind: 'AUTOSCALE-REQUEST-SUCCESS',
      requestId,
      type,
      ...(now && { policy: now }),
      desired: cluster.desired(type),
    };
  }

  /** RATE-LIMIT-REQUEST: sets or clears the type's limit, sends the new shares at once, and saves it. */
  rateLimitRequest(request: MessageOf<'RATE-LIMIT-REQUEST'>): MmopMessage {
    const { requestId, type, limit } = request;
    const refused = this.#refusal(
      'RATE-LIMIT-REQUEST-FAILURE',
      requestId,
      type,
      limit && rateLimitProblem(limit),
    );
    if (refused) return refused;
    const nodes = this.#rateLimits.set(type, limit);
    this.save();
    const now = this.#rateLimits.limitOf(type);
    return {
      kind: 'RATE-LIMIT-REQUEST-SUCCESS',
      requestId,
      type,
      ...(now && { limit: now }),
      nodes,
    };
  }

  /** Why a policy request is refused, as its FAILURE message: a type no worker offers, or a figure the rules refuse. */
  #refusal(
    kind: 'AUTOSCALE-REQUEST-FAILURE' | 'RATE-LIMIT-REQUEST-FAILURE',
    requestId: string,
    type: string,
    problem: { readonly field: string; readonly message: string } | undefined,
  ): MmopMessage | undefined {
    const unknown = this.#unknownType(type);
    if (unknown)
      return {
        kind,
        requestId,
        status: Status.BadRequest,
        code: ReplyCode.UnknownType,
        reason: unknown,
      };
    if (problem)
      return {
        kind,
        requestId,
        status: Status.BadRequest,
        code: ReplyCode.InvalidPolicy,
        reason: `${problem.field} ${problem.message}`,
      };
    return undefined;
  }

  #unknownType(type: string): string | undefined {
    const { cluster } = this.#context;
    if (cluster.recipe(type)) return undefined;
    const known = cluster.knownTypes();
    return `no worker offers node type ${type}; known types: ${known.length > 0 ? known.join(', ') : 'none'}`;
  }

  /** RECIPE-INFO entries with each type's autoscale policy, last decision and rate limit. */
  describe(infos: RecipeInfo[]): RecipeInfo[] {
    return infos.map((info) => {
      const described = this.#autoscaler.describe(info);
      const limit = this.#rateLimits.limitOf(info.type);
      return limit ? { ...described, rateLimit: limit } : described;
    });
  }

  /** Writes the desired state if it changed (never while restored counts wait: they are the state). */
  save(): void {
    if (!this.#file || this.#pending) return;
    this.#file.save({
      desired: Object.fromEntries(this.#context.cluster.desiredCounts()),
      autoscale: this.#autoscaler.setPolicies(),
      rateLimits: this.#rateLimits.setLimits(),
    });
  }

  /** Resolves once the last change is on disk. */
  async close(): Promise<void> {
    this.save();
    await this.#file?.flush();
  }
}
