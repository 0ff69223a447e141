/**
 * Cluster-wide rate limits: at most `perSecond` messages a second processed by all the nodes of a type together. The
 * master owns the budget and splits it into equal shares across the type's nodes that run (those being drained
 * included: they still process until they stop); each node keeps to its share with a token bucket (token-bucket.ts in
 * @monomyth/node), so nothing on the message path asks the master anything.
 *
 * Equal shares are the split in proportion to demand here: the nodes of a type read one queue, so while the limit
 * binds (there is a backlog) each can use its share; when it does not bind, the shares do not matter.
 *
 * A START-NODE carries the new node's share in its recipe, counted with the node it starts; every heartbeat interval
 * the shares are worked out again from the nodes the workers report, and a NODE-RATE-LIMIT goes to each node whose
 * share changed (a node started, stopped, lost, autoscaled; a limit set or cleared, which also re-splits at once).
 */
import { rateLimitProblem } from '@monomyth/mmop';
import type { RateLimit, Recipe } from '@monomyth/mmop';
import type { MasterContext } from './context.js';

/** The burst a limit gets when it names none: a tenth of a second of its rate, and at least one message. */
function burstOf(limit: RateLimit): number {
  return limit.burst ?? Math.max(1, limit.perSecond / 10);
}

export class RateLimits {
  readonly #context: MasterContext;
  /** Limits set at run time, by type; null: cleared at run time (beats the recipe's). Persisted. */
  readonly #set = new Map<string, RateLimit | null>();
  /** The share last sent to each node, as `perSecond/burst`: only a change is sent. */
  readonly #sent = new Map<string, { type: string; key: string }>();
  readonly #badRecipes = new Set<string>();

  constructor(context: MasterContext) {
    this.#context = context;
  }

  /** The limit a type has now, or undefined. */
  limitOf(type: string): RateLimit | undefined {
    const set = this.#set.get(type);
    if (set !== undefined) return set ?? undefined;
    const fromRecipe = this.#context.cluster.recipe(type)?.rateLimit;
    if (fromRecipe === undefined) return undefined;
    const problem = rateLimitProblem(fromRecipe);
    if (problem === undefined) return fromRecipe as RateLimit;
    if (!this.#badRecipes.has(type)) {
      this.#badRecipes.add(type);
      this.#context.log.warn(
        { type, field: problem.field, reason: problem.message },
        "the type's recipe carries a rate limit the master cannot use: it is not limited",
      );
    }
    return undefined;
  }

  /** Sets (undefined: clears) a type's limit at run time and sends the new shares at once; the nodes it splits across. */
  set(type: string, limit: RateLimit | undefined): number {
    this.#set.set(type, limit ?? null);
    this.#context.log.info({ type, limit: limit ?? 'off' }, 'rate limit set');
    return this.split().get(type) ?? 0;
  }

  /** The limits set at run time (null: cleared), to persist. */
  setLimits(): Record<string, RateLimit | null> {
    return Object.fromEntries(this.#set);
  }

  restore(limits: Readonly<Record<string, RateLimit | null>>): void {
    for (const [type, limit] of Object.entries(limits)) this.#set.set(type, limit);
  }

  /**
   * The recipe a START-NODE carries: with a limit, its `rateLimit` is the new node's share, counted among the type's
   * nodes running and starting (the scheduler has counted this start already).
   */
  startRecipe(recipe: Recipe): Recipe {
    const limit = this.limitOf(recipe.type);
    if (!limit) {
      if (recipe.rateLimit === undefined) return recipe;
      const { rateLimit: _dropped, ...rest } = recipe;
      return rest as Recipe;
    }
    const { cluster } = this.#context;
    const nodes = Math.max(1, cluster.running(recipe.type) + cluster.outstanding(recipe.type));
    return { ...recipe, rateLimit: share(limit, nodes) };
  }

  /** Works out every share again and sends those that changed; answers how many nodes each limited type has. */
  split(): Map<string, number> {
    const { cluster } = this.#context;
    const limits = new Map<string, RateLimit>();
    for (const type of new Set([...cluster.knownTypes(), ...this.#set.keys()])) {
      const limit = this.limitOf(type);
      if (limit) limits.set(type, limit);
    }
    // Nothing limited now and nothing to take back: no walk over the nodes.
    if (limits.size === 0 && this.#sent.size === 0) return new Map();
    const byType = new Map<string, { worker: Buffer; name: string }[]>();
    for (const worker of cluster.workers()) {
      for (const node of worker.nodes.values()) {
        if (!limits.has(node.type) && !this.#sent.has(node.name)) continue;
        let list = byType.get(node.type);
        if (!list) byType.set(node.type, (list = []));
        list.push({ worker: worker.identity, name: node.name });
      }
    }
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (const [type, nodes] of byType) {
      const limit = limits.get(type);
      if (limit) counts.set(type, nodes.length);
      const each = limit && share(limit, nodes.length);
      const key = each ? `${each.perSecond}/${each.burst}` : '';
      for (const { worker, name } of nodes) {
        seen.add(name);
        const before = this.#sent.get(name);
        // Never limited and still not: nothing to say. Otherwise only a change is sent.
        if ((before?.key ?? '') === key) continue;
        if (key === '') this.#sent.delete(name);
        else this.#sent.set(name, { type, key });
        this.#send(worker, {
          kind: 'NODE-RATE-LIMIT',
          nodeName: name,
          ...(each && { perSecond: each.perSecond, burst: each.burst }),
        });
      }
    }
    for (const name of this.#sent.keys()) if (!seen.has(name)) this.#sent.delete(name);
    return counts;
  }

  #send(identity: Buffer, message: Parameters<MasterContext['send']>[1]): void {
    this.#context.send(identity, message).catch((error: unknown) => {
      // The next split sends it again: forget what was sent.
      if (message.kind === 'NODE-RATE-LIMIT') this.#sent.delete(message.nodeName);
      this.#context.log.warn({ err: error }, 'could not send a rate-limit share');
    });
  }
}

function share(limit: RateLimit, nodes: number): { perSecond: number; burst: number } {
  return { perSecond: limit.perSecond / nodes, burst: burstOf(limit) / nodes };
}
