/**
 * The worker: a DEALER to the master whose routing id is the worker's id. It registers (READY, with a recipe per node
 * type its system has and, when registering again, the nodes it runs), heartbeats with its nodes' states and counters,
 * builds nodes from the recipes in START-NODE and supervises them, and drains on STOP-NODE, SHUTDOWN and close().
 *
 * The link to the master (the DEALER, READY, heartbeats) runs in a thread of its own (master-link.ts, link-thread.ts), so
 * a node whose code blocks this thread's event loop does not silence the worker: its heartbeats go on and report the
 * loop's lag, and the master shows it `stalled` instead of declaring it lost.
 *
 * The master going away stops nothing: nodes keep moving data through the broker, the worker keeps sending READY, and
 * when a master answers (the same one, or a restarted one with a new epoch) it registers again with its running nodes.
 * Nothing a master sends can throw out of the worker's loop: a recipe that cannot be built is answered with
 * START-NODE-FAILURE and a category.
 */
import {
  Lifecycle,
  ReplyCode,
  StartFailureCategory,
  Status,
  describeError,
  truncateText,
} from '@monomyth/mmop';
import type { CloseOptions, MessageOf, MmopMessage, NodeStatus, QueueCounts } from '@monomyth/mmop';
import {
  InvalidRecipeError,
  RateLimitInterceptor,
  UnknownNodeTypeError,
  createNode,
} from '@monomyth/node';
import type { Logger, Node } from '@monomyth/node';
import { WorkerLinkError, WorkerRefusedError } from './errors.js';
import { answerFailQueue } from './fail-queue-requests.js';
import type { LinkState, StalledNode } from './link-protocol.js';
import { MasterLink } from './master-link.js';
import { NodeSupervisor } from './node-supervisor.js';
import { QueueStatsReader } from './queue-stats-reader.js';
import { compileWorkerOptions } from './options.js';
import type { CompiledWorkerOptions, WorkerOptions } from './options.js';

/**
 * - `registering`: sending READY until a master answers;
 * - `registered`: heartbeating a master that answers;
 * - `draining`: told to leave (SHUTDOWN, close, or a fatal error): draining its nodes, then BYE;
 * - `stopped`: gone after a clean stop; `run()` has resolved;
 * - `failed`: gone after a fatal error (its link to the master failed, or the master refused it); `run()` has rejected.
 */
export type WorkerState = 'registering' | 'registered' | 'draining' | 'stopped' | 'failed';

const WORKER_TRANSITIONS = {
  registering: ['registered', 'draining'],
  registered: ['registering', 'draining'],
  draining: ['stopped', 'failed'],
  stopped: [],
  failed: [],
} as const satisfies Record<WorkerState, readonly WorkerState[]>;

export class Worker {
  readonly id: string;
  readonly #options: CompiledWorkerOptions;
  readonly #log: Logger;
  #link: MasterLink | undefined;
  readonly #nodes = new Map<string, NodeSupervisor>();
  /** Each node's share of its type's cluster-wide rate limit (START-NODE's recipe, then NODE-RATE-LIMIT). */
  readonly #rateLimits = new RateLimitInterceptor();
  /** Starts accepted and not yet running: they count against capacity. */
  #starting = 0;
  readonly #life: Lifecycle<WorkerState>;
  #masterEpoch = '';
  #closing: Promise<void> | undefined;
  /** Why the worker is stopping for good (refused, or its link failed): run() rejects with it. */
  #failure: WorkerRefusedError | WorkerLinkError | undefined;
  readonly #stopped: Promise<void>;
  #resolveStopped!: () => void;

  constructor(options: WorkerOptions) {
    this.#options = compileWorkerOptions(options);
    this.id = this.#options.id;
    this.#log = this.#options.logger.child({ component: 'worker', workerId: this.id });
    this.#life = new Lifecycle<WorkerState>({
      component: 'worker',
      initial: 'registering',
      transitions: WORKER_TRANSITIONS,
      log: (level, fields, msg) => this.#log[level](fields, msg),
    });
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  get state(): WorkerState {
    return this.#life.state;
  }

  /** The epoch of the master this worker is registered with ('' while registering). */
  get masterEpoch(): string {
    return this.#masterEpoch;
  }

  /** Connects and registers; resolves at once (registration goes on in the background until a master answers). */
  start(): void {
    if (this.#link !== undefined || this.#leaving()) return;
    const options = this.#options;
    this.#link = new MasterLink(
      {
        workerId: this.id,
        master: options.master,
        curve: options.curve,
        host: options.host,
        pid: process.pid,
        capacity: options.capacity,
        recipes: options.system.recipes.map((recipe) => ({ ...recipe })),
        registerRetryMs: options.registerRetryMs,
        stallWarningMs: options.stallWarningMs,
        stallLogFd: options.stallLogFd,
      },
      {
        message: (message) => this.#onMessage(message),
        state: (state, masterEpoch) => this.#onLinkState(state, masterEpoch),
        stall: (blockedMs, nodes) => this.#onStall(blockedMs, nodes),
        refused: (code, reason) => this.#onRefused(code, reason),
        failed: (reason) => this.#onLinkFailed(reason),
      },
      this.#log,
      () => this.nodes(),
      this.#queueCounts(),
    );
    this.#log.info({ master: options.master, types: options.system.types }, 'worker connecting');
  }

  /**
   * Starts the worker if needed; resolves when it has stopped (after SHUTDOWN or close()). Once its nodes are drained
   * it rejects with WorkerRefusedError if the master refused it (another worker holds its name), or WorkerLinkError if
   * its link to the master failed; `state` is then `failed`.
   */
  async run(): Promise<void> {
    this.start();
    await this.#stopped;
    if (this.#failure) throw this.#failure;
  }

  /** The statuses of the nodes this worker runs. */
  nodes(): NodeStatus[] {
    return [...this.#nodes.values()].map((supervisor) => supervisor.status());
  }

  /**
   * Drains every node (stop pulling, finish the batch in flight within `drainTimeoutMs`, ack), tells the master BYE
   * with `reason`, and closes the socket. Idempotent: later calls return the first call's promise. The adapter stays
   * open for its owner to close.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const { drainTimeoutMs = this.#options.drainTimeoutMs, reason = 'closed' } = options;
    this.#closing ??= (async () => {
      this.#life.to('draining', { reason });
      this.#link?.leaving();
      this.#log.info({ nodes: this.#nodes.size, drainTimeoutMs, reason }, 'worker draining');
      // Heartbeats go on while the nodes drain: a drain longer than the master's liveness window must not make the
      // master declare this worker lost (and place its nodes elsewhere) before it has said BYE.
      await Promise.all(
        [...this.#nodes.values()].map((supervisor) => supervisor.stop(drainTimeoutMs)),
      );
      this.#nodes.clear();
      this.#nodesChanged();
      await this.#send({ kind: 'BYE', reason }).catch(() => {});
      // Give the BYE a moment to leave: the socket has no linger.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await this.#link?.close();
      this.#life.to(this.#failure ? 'failed' : 'stopped');
      this.#log.info({}, this.#failure ? 'worker failed' : 'worker stopped');
      this.#resolveStopped();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #onLinkState(state: LinkState, masterEpoch: string): void {
    if (this.#leaving()) return;
    if (state === 'registering') {
      this.#life.to('registering');
      return;
    }
    const again = this.#masterEpoch !== '';
    this.#life.to('registered');
    // Rate-limit shares belong to the master that sent them: a restarted master sends its own at its next round (or
    // none, if it no longer knows the limit), so the old ones go.
    if (again && masterEpoch !== this.#masterEpoch) this.#rateLimits.clear();
    this.#masterEpoch = masterEpoch;
    this.#log.info(
      { masterEpoch, nodes: this.#nodes.size },
      again ? 'registered again' : 'registered',
    );
  }

  #onRefused(code: string, reason: string): void {
    this.#failure ??= new WorkerRefusedError(code, reason);
    this.#log.error({ code, reason }, 'the master refused this worker');
    void this.close({ drainTimeoutMs: 0, reason: 'refused by the master' });
  }

  #onLinkFailed(reason: string): void {
    if (this.#leaving()) {
      // Already leaving (SHUTDOWN, close): the nodes drain all the same; only the BYE cannot be said.
      this.#log.warn({ reason }, 'the link to the master failed while the worker was leaving');
      return;
    }
    this.#failure ??= new WorkerLinkError(reason);
    this.#log.error(
      { reason },
      'the link to the master failed; the worker drains its nodes and stops',
    );
    void this.close({ reason: `the link to the master failed: ${reason}` });
  }

  #onStall(blockedMs: number, nodes: readonly StalledNode[]): void {
    this.#log.warn(
      { blockedMs, nodes },
      `the event loop was blocked for ${blockedMs} ms` +
        (nodes.length > 0
          ? `; nodes with a batch in flight: ${nodes.map((node) => node.name).join(', ')}`
          : '') +
        '. A transform that keeps the CPU this long should yield (await) now and then, or run in a worker thread',
    );
  }

  /** Tells the link what runs here: READY lists it, and stalls are attributed by it. */
  #nodesChanged(): void {
    this.#link?.setNodes(
      [...this.#nodes.values()].map((node) => ({
        name: node.name,
        type: node.type,
        recipe: node.recipe,
      })),
    );
  }

  #onMessage(message: MmopMessage): void {
    switch (message.kind) {
      case 'START-NODE':
        return void this.#startNode(message);
      case 'STOP-NODE':
        return void this.#stopNode(message);
      case 'NODE-RATE-LIMIT':
        // A node that has gone meanwhile keeps no share.
        if (!this.#nodes.has(message.nodeName)) return;
        return this.#rateLimits.set(message.nodeName, message.perSecond, message.burst);
      case 'FAIL-QUEUE': {
        const { system, adapter } = this.#options;
        const env = { workerId: this.id, system, adapter, log: this.#log };
        return void answerFailQueue(message, env).then((answer) =>
          this.#send(answer).catch(() => {}),
        );
      }
      case 'SHUTDOWN':
        this.#log.info(
          { drainTimeoutMs: message.drainTimeoutMs },
          'the master asked this worker to shut down',
        );
        return void this.close({
          drainTimeoutMs: message.drainTimeoutMs,
          reason: 'shutdown requested by the master',
        });
      default:
        this.#log.warn({ kind: message.kind }, 'unexpected message kind for a worker');
    }
  }

  async #startNode(start: MessageOf<'START-NODE'>): Promise<void> {
    const { requestId, recipe } = start;
    const type = typeof recipe.type === 'string' ? recipe.type : '?';
    const refuse = (category: string, reason: string): void => {
      this.#log.warn({ type, category, reason }, 'refused to start a node');
      void this.#send({
        kind: 'START-NODE-FAILURE',
        requestId,
        type,
        category,
        reason: truncateText(reason),
      }).catch(() => {});
    };
    if (this.#leaving())
      return refuse(StartFailureCategory.Draining, 'this worker is shutting down');
    if (this.#nodes.size + this.#starting >= this.#options.capacity) {
      return refuse(
        StartFailureCategory.Capacity,
        `this worker runs ${this.#nodes.size} nodes, its capacity`,
      );
    }
    const { system, adapter, logger, restart } = this.#options;
    // A batch waits for its rate-limit tokens first (not a stall: the loop is free meanwhile); the link marks each
    // batch in flight, for the stall warning; the user's interceptors run inside it.
    const interceptors = this.#link
      ? [this.#rateLimits, this.#link, ...this.#options.interceptors]
      : [this.#rateLimits, ...this.#options.interceptors];
    this.#starting += 1;
    const build = (name?: string): Node =>
      createNode(system, recipe, { adapter, logger, worker: this.id, interceptors, name });
    let supervisor: NodeSupervisor;
    try {
      let node: Node;
      try {
        node = build();
      } catch (error) {
        const category =
          error instanceof UnknownNodeTypeError
            ? StartFailureCategory.UnknownType
            : error instanceof InvalidRecipeError
              ? StartFailureCategory.InvalidRecipe
              : StartFailureCategory.Build;
        return refuse(category, describeError(error));
      }
      // Checked by createNode: the node's first share, until the master sends another.
      const limit = recipe.rateLimit as { perSecond: number; burst?: number } | undefined;
      if (limit) this.#rateLimits.set(node.name, limit.perSecond, limit.burst);
      try {
        supervisor = await NodeSupervisor.start(
          node,
          recipe,
          build,
          restart,
          { exited: (exited, reason, outcome) => this.#onNodeExited(exited, reason, outcome) },
          this.#log,
        );
      } catch (error) {
        return refuse(StartFailureCategory.Start, describeError(error));
      }
    } finally {
      this.#starting -= 1;
    }
    if (this.#leaving()) {
      await supervisor.stop(0);
      return refuse(
        StartFailureCategory.Draining,
        'this worker began shutting down while the node started',
      );
    }
    this.#nodes.set(supervisor.name, supervisor);
    this.#nodesChanged();
    this.#log.info({ nodeName: supervisor.name, type }, 'node started');
    await this.#send({
      kind: 'START-NODE-SUCCESS',
      requestId,
      type,
      nodeName: supervisor.name,
    }).catch(() => {});
  }

  async #stopNode(stop: MessageOf<'STOP-NODE'>): Promise<void> {
    const { requestId, nodeName, drainTimeoutMs } = stop;
    const supervisor = this.#nodes.get(nodeName);
    if (!supervisor) {
      await this.#send({
        kind: 'STOP-NODE-FAILURE',
        requestId,
        nodeName,
        status: Status.NotFound,
        code: ReplyCode.UnknownNode,
        reason: `no node ${nodeName} runs on ${this.id}`,
      }).catch(() => {});
      return;
    }
    await supervisor.stop(drainTimeoutMs);
    this.#nodes.delete(nodeName);
    this.#rateLimits.forget(nodeName);
    this.#nodesChanged();
    this.#log.info({ nodeName }, 'node stopped');
    await this.#send({ kind: 'STOP-NODE-SUCCESS', requestId, nodeName }).catch(() => {});
  }

  #onNodeExited(
    supervisor: NodeSupervisor,
    reason: string,
    outcome: { restarting: boolean; completed: boolean },
  ): void {
    if (!outcome.restarting) {
      this.#nodes.delete(supervisor.name);
      this.#rateLimits.forget(supervisor.name);
      this.#nodesChanged();
    }
    void this.#send({
      kind: 'NODE-EXITED',
      nodeName: supervisor.name,
      type: supervisor.type,
      reason: truncateText(reason),
      restarting: outcome.restarting,
      completed: outcome.completed || undefined,
    }).catch(() => {});
  }

  /** What the heartbeats read the source queues' counts with; undefined when the adapter cannot report them. */
  #queueCounts(): (() => Promise<QueueCounts[] | undefined>) | undefined {
    const { adapter, system } = this.#options;
    const reader = new QueueStatsReader(adapter, () => this.#sourceQueues(), system.recipes);
    return reader.capable ? () => reader.read() : undefined;
  }

  /** The source queues of the nodes running here. */
  *#sourceQueues(): Iterable<string> {
    for (const node of this.#nodes.values())
      if (typeof node.recipe.source === 'string') yield node.recipe.source;
  }

  /** Told to leave, or gone: no new nodes, no registering. (A method, so checks after an await read the state anew.) */
  #leaving(): boolean {
    return this.#life.is('draining', 'stopped', 'failed');
  }

  #send(message: MmopMessage): Promise<void> {
    if (!this.#link) return Promise.reject(new Error('the worker is not started'));
    return this.#link.send(message);
  }
}
