/**
 * The master's autoscaler: which policy each node type follows, and applying what the rule (autoscale-decision.ts)
 * decides through the desired counts the master already keeps. A type's policy is the one its operator set at run
 * time (AUTOSCALE-REQUEST; "off" counts, and beats the definition's), else the one in its recipe (its definition's).
 *
 * A decision only changes the desired count: the usual placement (reconcile: the scheduler, capacity, avoidance) starts
 * what is missing, and the usual surplus drain (surplus.ts: STOP-NODE with the drain timeout, newest node first)
 * stops what is too many, so scaling down loses nothing and delivers nothing twice by itself. A rise that the workers
 * have no room for is logged once, shown in the decision (`placed: false`), and placed when room appears; the rule
 * makes no new decision while the figures stay the same, so nothing retries in a loop.
 */
import { autoscalePolicyProblem, compileAutoscalePolicy } from '@monomyth/mmop';
import type { AutoscaleDecision, AutoscalePolicy, RecipeInfo } from '@monomyth/mmop';
import { AutoscaleDecider, rateSpansFor } from './autoscale-decision.js';
import type { AutoscaleStep } from './autoscale-decision.js';
import type { MasterContext } from './context.js';
import { livenessWindowMs, reconcile } from './node-placement.js';
import { ProcessingTotals } from './processing-rate.js';
import type { TypeProcessing } from './processing-rate.js';
import { drainSurplus } from './surplus.js';

/**
 * The backlog of a node type: ready + unacknowledged messages on its source queue, as the workers last reported it;
 * undefined when no worker reports it (no node of the type runs, a generator, an adapter that cannot count queues).
 */
export type BacklogOf = (type: string) => number | undefined;

/** Where the autoscaler reads backlogs from: called once per round of decisions, for the figures of that round. */
export type BacklogSource = () => BacklogOf;

export class Autoscaler {
  readonly #context: MasterContext;
  readonly #backlog: BacklogSource;
  /** Policies set at run time, by type; null: turned off. Persisted with the desired counts (desired-state.ts). */
  readonly #set = new Map<string, AutoscalePolicy | null>();
  /** The rule's state per type, with the policy (as JSON) it was built for: a new policy starts afresh. */
  readonly #deciders = new Map<string, { key: string; decider: AutoscaleDecider }>();
  readonly #last = new Map<string, AutoscaleDecision>();
  /** Types whose recipe carries a policy the master cannot use: warned about once. */
  readonly #badRecipes = new Set<string>();
  /** What each type has processed, from the heartbeats' node counters: the rule's rate. */
  readonly #processing = new ProcessingTotals();

  constructor(context: MasterContext, backlog: BacklogSource) {
    this.#context = context;
    this.#backlog = backlog;
  }

  /** The policy a type follows now, or undefined. */
  policyOf(type: string): AutoscalePolicy | undefined {
    const set = this.#set.get(type);
    if (set !== undefined) return set ?? undefined;
    const fromRecipe = this.#context.cluster.recipe(type)?.autoscale;
    if (fromRecipe === undefined) return undefined;
    const problem = autoscalePolicyProblem(fromRecipe);
    if (problem === undefined) return fromRecipe as AutoscalePolicy;
    if (!this.#badRecipes.has(type)) {
      this.#badRecipes.add(type);
      this.#context.log.warn(
        { type, field: problem.field, reason: problem.message },
        "the type's recipe carries an autoscale policy the master cannot use: it is sized by hand",
      );
    }
    return undefined;
  }

  /** Sets (or, with undefined, turns off) a type's policy at run time, and applies it at once. */
  set(type: string, policy: AutoscalePolicy | undefined): void {
    this.#set.set(type, policy ?? null);
    this.#context.log.info({ type, policy: policy ?? 'off' }, 'autoscale policy set');
    this.#decide(type, this.#backlog(), this.#processing.update(this.#context.cluster.workers()));
  }

  /** The policies set at run time (null: off), to persist. */
  setPolicies(): Record<string, AutoscalePolicy | null> {
    return Object.fromEntries(this.#set);
  }

  /** Takes back the policies set at run time before a restart; they apply from the next tick. */
  restore(policies: Readonly<Record<string, AutoscalePolicy | null>>): void {
    for (const [type, policy] of Object.entries(policies)) this.#set.set(type, policy);
  }

  /** One round of decisions, for every type with a policy (the master calls it every heartbeat interval). */
  tick(): void {
    const types = new Set([...this.#context.cluster.knownTypes(), ...this.#set.keys()]);
    // The backlogs are read only when some type has a policy: a cluster sized by hand pays nothing per tick.
    let backlogOf: BacklogOf | undefined;
    let processing: ReadonlyMap<string, TypeProcessing> | undefined;
    for (const type of types) {
      if (this.policyOf(type)) {
        backlogOf ??= this.#backlog();
        processing ??= this.#processing.update(this.#context.cluster.workers());
        this.#decide(type, backlogOf, processing);
      } else this.#deciders.delete(type);
    }
  }

  /** A RECIPE-INFO entry with the type's policy and last decision. */
  describe(info: RecipeInfo): RecipeInfo {
    const policy = this.policyOf(info.type);
    const last = this.#last.get(info.type);
    if (!policy && !last) return info;
    return {
      ...info,
      ...(policy && { autoscale: policy }),
      ...(last && { lastDecision: last }),
    };
  }

  #decide(
    type: string,
    backlogOf: BacklogOf,
    processing: ReadonlyMap<string, TypeProcessing>,
  ): void {
    const policy = this.policyOf(type);
    if (!policy) {
      this.#deciders.delete(type);
      return;
    }
    const key = JSON.stringify(policy);
    let entry = this.#deciders.get(type);
    if (entry?.key !== key) {
      entry = {
        key,
        decider: new AutoscaleDecider(
          compileAutoscalePolicy(policy),
          rateSpansFor(this.#context.options.countersIntervalMs),
        ),
      };
      this.#deciders.set(type, entry);
    }
    const { cluster } = this.#context;
    const backlog = backlogOf(type);
    const desired = cluster.desired(type);
    const rate = processing.get(type);
    const { decider } = entry;
    const wasHeld = decider.held;
    const step = decider.decide({
      backlog,
      desired,
      now: this.#context.now(),
      processed: rate?.processed,
      running: rate?.running,
    });
    if (step) this.#apply(type, policy, step, desired, backlog);
    else if (decider.held !== undefined && wasHeld === undefined) {
      // Once when a hold starts, not every tick it lasts.
      this.#context.log.info(
        { type, desired, backlog, ...decider.rates(), reason: decider.held },
        'autoscale: not scaling down: the nodes left would not keep up',
      );
    }
  }

  #apply(
    type: string,
    policy: AutoscalePolicy,
    step: AutoscaleStep,
    from: number,
    backlog: number | undefined,
  ): void {
    const { cluster, log } = this.#context;
    cluster.changeDesired(type, step.to - from);
    const running = cluster.running(type);
    const missing = step.to - running - cluster.outstanding(type);
    const room = missing > 0 ? this.#roomFor(type) : 0;
    const placed = missing <= room;
    const figures = {
      type,
      from,
      to: step.to,
      wanted: step.wanted,
      backlog,
      targetBacklogPerNode: policy.targetBacklogPerNode,
      min: policy.min,
      max: policy.max,
      running,
      ...(step.rates && {
        arrivingPerSecond: step.rates.arriving,
        perNodePerSecond: step.rates.perNode,
      }),
      reason: step.reason,
    };
    log.info(figures, step.to > from ? 'autoscale: scaling up' : 'autoscale: scaling down');
    if (!placed) {
      log.warn(
        { ...figures, missing, room },
        'autoscale: no worker has room for every node wanted; they are placed as room appears',
      );
    }
    this.#last.set(type, {
      at: Math.max(0, Math.round(this.#context.now())),
      from,
      to: step.to,
      backlog: backlog ?? 0,
      placed,
      reason: placed ? step.reason : `${step.reason}; room for ${room} of ${missing} more`,
    });
    if (step.to > from) reconcile(this.#context);
    else drainSurplus(this.#context);
  }

  /** Free slots for a type on the workers that could take it now (active, not stalled, offering it). */
  #roomFor(type: string): number {
    const window = livenessWindowMs(this.#context);
    let room = 0;
    for (const worker of this.#context.cluster.workers()) {
      if (worker.state === 'active' && !worker.stalled(window) && worker.canRun(type))
        room += Math.max(0, worker.capacity - worker.load());
    }
    return room;
  }
}
