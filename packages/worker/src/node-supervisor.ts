/**
 * Keeps one node running. A node whose loop fails is built again (same name, same recipe) and restarted after a
 * backoff that doubles with each crash in the window; one crash past the budget and the supervisor gives up and says
 * so, for the master to place the node elsewhere. A node that stops on its own without failing (a generator that ran
 * out) is reported completed. Stopping drains the node in flight and cancels any pending restart.
 */
import { Lifecycle, describeError } from '@monomyth/mmop';
import type { NodeStatus, Recipe } from '@monomyth/mmop';
import type { Logger, Node } from '@monomyth/node';
import type { CompiledWorkerOptions } from './options.js';

/**
 * - `running`: its node runs;
 * - `restarting`: its node crashed; built and started again after a backoff;
 * - `stopping` / `stopped`: told to stop: draining its node, then done;
 * - `exited`: its node completed, or crashed past the restart budget; the master is told.
 */
export type SupervisorState = 'running' | 'restarting' | 'stopping' | 'stopped' | 'exited';

const SUPERVISOR_TRANSITIONS = {
  running: ['restarting', 'stopping', 'exited'],
  restarting: ['running', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
  exited: [],
} as const satisfies Record<SupervisorState, readonly SupervisorState[]>;

export interface SupervisorEvents {
  /** The node stopped without being asked to. `restarting`: the supervisor will start it again. */
  exited(
    supervisor: NodeSupervisor,
    reason: string,
    outcome: { restarting: boolean; completed: boolean },
  ): void;
}

/**
 * What a supervisor is made of: the node just built, its recipe, how to build it again, the restart policy, whom to
 * tell, and where to log.
 */
type SupervisorArgs = [
  node: Node,
  recipe: Recipe,
  build: (name: string) => Node,
  policy: CompiledWorkerOptions['restart'],
  events: SupervisorEvents,
  log: Logger,
];

export class NodeSupervisor {
  readonly name: string;
  readonly type: string;
  readonly recipe: Recipe;
  #node: Node;
  readonly #life: Lifecycle<SupervisorState>;
  #restarts = 0;
  readonly #crashes: number[] = [];
  #restartTimer: NodeJS.Timeout | undefined;
  readonly #build: (name: string) => Node;
  readonly #policy: CompiledWorkerOptions['restart'];
  readonly #events: SupervisorEvents;
  readonly #log: Logger;

  private constructor(...[node, recipe, build, policy, events, log]: SupervisorArgs) {
    this.#node = node;
    this.name = node.name;
    this.type = node.type;
    this.recipe = recipe;
    this.#build = build;
    this.#policy = policy;
    this.#events = events;
    this.#log = log.child({ nodeName: node.name });
    this.#life = new Lifecycle<SupervisorState>({
      component: 'node supervisor',
      initial: 'running',
      transitions: SUPERVISOR_TRANSITIONS,
      log: (level, fields, msg) => this.#log[level](fields, msg),
    });
  }

  /**
   * Starts a node just built; resolves with its supervisor once the node runs. Rejects (with nothing left running)
   * when the start fails: the caller answers START-NODE-FAILURE. `build` makes it again, under the same name, for
   * restarts.
   */
  static async start(...args: SupervisorArgs): Promise<NodeSupervisor> {
    const [node] = args;
    await node.start();
    const supervisor = new NodeSupervisor(...args);
    supervisor.#watch(node);
    return supervisor;
  }

  get state(): SupervisorState {
    return this.#life.state;
  }

  /** The node's status as a heartbeat carries it. */
  status(): NodeStatus {
    const stats = this.#node.stats();
    return {
      name: this.name,
      type: this.type,
      state: this.#life.is('restarting') ? 'restarting' : stats.state,
      processed: stats.processed,
      failed: stats.failed,
      retried: stats.retried,
      inFlight: stats.inFlight,
      batches: stats.batches,
      restarts: this.#restarts,
      latencyP50Ms: stats.latencyP50Ms,
      latencyP99Ms: stats.latencyP99Ms,
      published: stats.published,
    };
  }

  /** Drains the node (or cancels its pending restart). Resolves once it has stopped; idempotent. */
  async stop(drainTimeoutMs: number): Promise<void> {
    if (this.#life.is('stopped', 'exited')) return;
    this.#life.to('stopping');
    clearTimeout(this.#restartTimer);
    await this.#node.drain(drainTimeoutMs);
    this.#life.to('stopped');
  }

  #watch(node: Node): void {
    node.run().then(
      () => this.#onEnded(node, undefined),
      (error: unknown) => this.#onEnded(node, error),
    );
  }

  #onEnded(node: Node, error: unknown): void {
    if (node !== this.#node || this.#life.is('stopping', 'stopped')) return;
    if (error === undefined) {
      this.#life.to('exited', { completed: true });
      this.#log.info({}, 'node completed its work');
      this.#events.exited(this, 'completed', { restarting: false, completed: true });
      return;
    }
    const reason = describeError(error);
    const now = Date.now();
    this.#crashes.push(now);
    const windowStart = now - this.#policy.windowMs;
    while ((this.#crashes[0] ?? now) < windowStart) this.#crashes.shift();
    if (this.#crashes.length > this.#policy.maxRestarts) {
      this.#life.to('exited', { completed: false });
      const summary = `crashed ${this.#crashes.length} times in ${this.#policy.windowMs} ms; last: ${reason}`;
      this.#log.error({ err: error }, `node gave up: ${summary}`);
      this.#events.exited(this, summary, { restarting: false, completed: false });
      return;
    }
    const delay = Math.min(
      this.#policy.maxDelayMs,
      this.#policy.initialDelayMs * 2 ** (this.#crashes.length - 1),
    );
    this.#life.to('restarting');
    this.#log.warn(
      { err: error, delayMs: delay, crashes: this.#crashes.length },
      'node crashed; restarting it',
    );
    this.#events.exited(this, reason, { restarting: true, completed: false });
    this.#restartTimer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    if (!this.#life.is('restarting')) return;
    let node: Node;
    try {
      node = this.#build(this.name);
    } catch (error) {
      this.#life.to('running');
      this.#onEnded(this.#node, error);
      return;
    }
    this.#node = node;
    this.#restarts += 1;
    this.#life.to('running');
    this.#watch(node);
    // A failed start makes run() reject, which #watch turns into the next crash.
    await node.start().catch(() => {});
  }
}
