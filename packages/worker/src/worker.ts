/**
 * The worker: a DEALER to the master whose routing id is the worker's id. It registers (READY, with a recipe per node
 * type its system has and, when registering again, the nodes it runs), heartbeats with its nodes' states and counters,
 * builds nodes from the recipes in START-NODE and supervises them, and drains on STOP-NODE, SHUTDOWN and close().
 *
 * The master going away stops nothing: nodes keep moving data through the broker, the worker keeps sending READY, and
 * when a master answers (the same one, or a restarted one with a new epoch) it registers again with its running nodes.
 * Nothing a master sends can throw out of the worker's loop: a recipe that cannot be built is answered with
 * START-NODE-FAILURE and a category.
 */
import { Dealer } from 'zeromq';
import { MmopCodec, OrderedSender, Status } from '@monomyth/mmop';
import type { MessageOf, MmopMessage, NodeStatus } from '@monomyth/mmop';
import { InvalidRecipeError, UnknownNodeTypeError, createNode } from '@monomyth/node';
import type { Logger, Node } from '@monomyth/node';
import { NodeSupervisor } from './node-supervisor.js';
import { compileWorkerOptions } from './options.js';
import type { CompiledWorkerOptions, WorkerOptions } from './options.js';

/**
 * - `registering`: sending READY until a master answers;
 * - `registered`: heartbeating a master that answers;
 * - `draining`: told to leave (SHUTDOWN or close): draining its nodes, then BYE;
 * - `stopped`: gone; `run()` has resolved.
 */
export type WorkerState = 'registering' | 'registered' | 'draining' | 'stopped';

/** Why a START-NODE was refused: sent as START-NODE-FAILURE's category. */
export const StartFailureCategory = {
  UnknownType: 'unknown-type',
  InvalidRecipe: 'invalid-recipe',
  Capacity: 'capacity',
  Draining: 'draining',
  Build: 'build',
  Start: 'start',
} as const;

export class Worker {
  readonly id: string;
  readonly #options: CompiledWorkerOptions;
  readonly #log: Logger;
  readonly #dealer: Dealer;
  readonly #sender: OrderedSender;
  readonly #codec = new MmopCodec();
  readonly #nodes = new Map<string, NodeSupervisor>();
  /** Starts accepted and not yet running: they count against capacity. */
  #starting = 0;
  #state: WorkerState = 'registering';
  #masterEpoch = '';
  #heartbeatIntervalMs = 0;
  #heartbeatMisses = 0;
  #lastHeardAt = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #registerRetry: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  readonly #stopped: Promise<void>;
  #resolveStopped!: () => void;

  constructor(options: WorkerOptions) {
    this.#options = compileWorkerOptions(options);
    this.id = this.#options.id;
    this.#log = this.#options.logger.child({ component: 'worker', workerId: this.id });
    // immediate: messages are never queued for a master that is not connected; sendTimeout 0: a send either goes now
    // or fails now, so a master that is away never blocks the worker (heartbeats and READY are simply tried again).
    this.#dealer = new Dealer({ linger: 0, routingId: this.id, immediate: true, sendTimeout: 0 });
    this.#sender = new OrderedSender((frames) => this.#dealer.send(frames));
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** The epoch of the master this worker is registered with ('' while registering). */
  get masterEpoch(): string {
    return this.#masterEpoch;
  }

  /** Connects and registers; resolves at once (registration goes on in the background until a master answers). */
  start(): void {
    if (this.#registerRetry !== undefined || this.#state === 'stopped') return;
    this.#dealer.connect(this.#options.master);
    void this.#receive();
    this.#log.info(
      { master: this.#options.master, types: this.#options.system.types },
      'worker connecting',
    );
    this.#register();
  }

  /** Starts the worker if needed; resolves when it has stopped (after SHUTDOWN or close()). */
  run(): Promise<void> {
    this.start();
    return this.#stopped;
  }

  /** The statuses of the nodes this worker runs. */
  nodes(): NodeStatus[] {
    return [...this.#nodes.values()].map((supervisor) => supervisor.status());
  }

  /**
   * Drains every node (stop pulling, finish the batch in flight, ack), tells the master BYE, and closes the socket.
   * Idempotent; the adapter stays open for its owner to close.
   */
  close(drainTimeoutMs = this.#options.drainTimeoutMs, reason = 'closed'): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'draining';
      clearTimeout(this.#registerRetry);
      this.#log.info({ nodes: this.#nodes.size, drainTimeoutMs, reason }, 'worker draining');
      // Heartbeats go on while the nodes drain: a drain longer than the master's liveness window must not make the
      // master declare this worker lost (and place its nodes elsewhere) before it has said BYE.
      await Promise.all(
        [...this.#nodes.values()].map((supervisor) => supervisor.stop(drainTimeoutMs)),
      );
      this.#nodes.clear();
      clearInterval(this.#heartbeat);
      await this.#send({ kind: 'BYE', reason }).catch(() => {});
      // Give the BYE a moment to leave: the socket has no linger.
      await new Promise((resolve) => setTimeout(resolve, 20));
      this.#sender.close();
      this.#dealer.close();
      this.#state = 'stopped';
      this.#log.info({}, 'worker stopped');
      this.#resolveStopped();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #register(): void {
    clearTimeout(this.#registerRetry);
    if (this.#leaving()) return;
    this.#state = 'registering';
    const system = this.#options.system;
    void this.#send({
      kind: 'READY',
      workerId: this.id,
      host: this.#options.host,
      pid: process.pid,
      capacity: this.#options.capacity,
      recipes: system.recipes.map((recipe) => ({ ...recipe })),
      nodes: [...this.#nodes.values()].map((node) => ({
        name: node.name,
        type: node.type,
        recipe: node.recipe,
      })),
    }).catch((error: unknown) =>
      this.#log.debug({ err: error }, 'READY not sent; the master is not connected'),
    );
    this.#registerRetry = setTimeout(() => this.#register(), this.#options.registerRetryMs);
  }

  #onRegistered(registered: MessageOf<'REGISTERED'>): void {
    if (this.#leaving()) return;
    clearTimeout(this.#registerRetry);
    const again = this.#masterEpoch !== '';
    this.#state = 'registered';
    this.#masterEpoch = registered.masterEpoch;
    this.#heartbeatIntervalMs = registered.heartbeatIntervalMs;
    this.#heartbeatMisses = registered.heartbeatMisses;
    this.#lastHeardAt = Date.now();
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatIntervalMs);
    this.#log.info(
      { masterEpoch: registered.masterEpoch, nodes: this.#nodes.size },
      again ? 'registered again' : 'registered',
    );
  }

  #beat(): void {
    const silent =
      Date.now() - this.#lastHeardAt > this.#heartbeatIntervalMs * this.#heartbeatMisses;
    if (silent && !this.#leaving()) {
      // The master has gone quiet: keep every node running and look for a master again.
      this.#log.warn(
        { masterEpoch: this.#masterEpoch },
        'no answer from the master; registering again',
      );
      clearInterval(this.#heartbeat);
      this.#register();
      return;
    }
    void this.#send({
      kind: 'HEARTBEAT',
      masterEpoch: this.#masterEpoch,
      nodes: this.nodes(),
    }).catch(() => {});
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#dealer) {
        let message: MmopMessage;
        try {
          message = this.#codec.decode(frames);
        } catch (error) {
          this.#log.warn({ err: error }, 'malformed message from the master');
          continue;
        }
        try {
          this.#onMessage(message);
        } catch (error) {
          this.#log.error(
            { err: error, kind: message.kind },
            'failed to handle a message from the master',
          );
        }
      }
    } catch (error) {
      if (this.#state !== 'stopped' && this.#state !== 'draining')
        this.#log.error({ err: error }, 'worker socket failed');
    }
  }

  #onMessage(message: MmopMessage): void {
    switch (message.kind) {
      case 'REGISTERED':
        return this.#onRegistered(message);
      case 'HEARTBEAT-ACK':
        this.#lastHeardAt = Date.now();
        if (message.masterEpoch !== this.#masterEpoch) {
          this.#log.info(
            { masterEpoch: message.masterEpoch },
            'the master restarted; registering again',
          );
          this.#register();
        }
        return;
      case 'START-NODE':
        return void this.#startNode(message);
      case 'STOP-NODE':
        return void this.#stopNode(message);
      case 'SHUTDOWN':
        this.#log.info(
          { drainTimeoutMs: message.drainTimeoutMs },
          'the master asked this worker to shut down',
        );
        return void this.close(message.drainTimeoutMs, 'shutdown requested by the master');
      case 'ERROR':
        if (message.code === 'NOT_REGISTERED') {
          this.#log.info({}, 'the master does not know this worker; registering again');
          this.#register();
        } else {
          this.#log.warn(
            { status: message.status, code: message.code, reason: message.reason },
            'error from the master',
          );
        }
        return;
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
        reason: reason.slice(0, 8000),
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
    const { system, adapter, interceptors, logger, restart } = this.#options;
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
        return refuse(category, error instanceof Error ? error.message : String(error));
      }
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
        return refuse(
          StartFailureCategory.Start,
          error instanceof Error ? error.message : String(error),
        );
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
        code: 'UNKNOWN_NODE',
        reason: `no node ${nodeName} runs on ${this.id}`,
      }).catch(() => {});
      return;
    }
    await supervisor.stop(drainTimeoutMs);
    this.#nodes.delete(nodeName);
    this.#log.info({ nodeName }, 'node stopped');
    await this.#send({ kind: 'STOP-NODE-SUCCESS', requestId, nodeName }).catch(() => {});
  }

  #onNodeExited(
    supervisor: NodeSupervisor,
    reason: string,
    outcome: { restarting: boolean; completed: boolean },
  ): void {
    if (!outcome.restarting) this.#nodes.delete(supervisor.name);
    void this.#send({
      kind: 'NODE-EXITED',
      nodeName: supervisor.name,
      type: supervisor.type,
      reason: reason.slice(0, 8000),
      restarting: outcome.restarting,
      completed: outcome.completed || undefined,
    }).catch(() => {});
  }

  /** Told to leave, or gone: no new nodes, no registering. (A method, so checks after an await read the state anew.) */
  #leaving(): boolean {
    return this.#state === 'draining' || this.#state === 'stopped';
  }

  #send(message: MmopMessage): Promise<void> {
    return this.#sender.send(this.#codec.encode(message));
  }
}
