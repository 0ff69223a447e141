/**
 * The master: one ROUTER that workers and control clients connect to. It registers workers, schedules nodes on them,
 * declares silent workers lost and places their nodes elsewhere, shows workers whose event loop is blocked as
 * `stalled` (their nodes stay until the stall limit), drains nodes beyond the desired counts, and answers control
 * requests. It never imports user
 * code or touches the data plane: nodes move data through the broker, the master only tells workers what to run.
 *
 * Nothing a peer sends can crash or stall it: frames that do not decode are logged (rate-limited) and, where they carry
 * a request id, answered with ERROR; a request whose handling fails is answered with ERROR 500.
 */
import type { Router } from 'zeromq';
import { MmopCodec, ReplyCode, Status, describeRoutingId } from '@monomyth/mmop';
import type { MessageOf, MmopMessage, RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { Cluster } from './cluster.js';
import type { QueueBacklog } from './queue-backlog.js';
import { MasterStats } from './http/master-stats.js';
import { startMasterHttp } from './http/master-http.js';
import type { MasterHttpServer } from './http/master-http.js';
import type { MasterContext, StartAnswer, StopAnswer } from './context.js';
import { startNodes, stopNodes, stopWorker } from './control-requests.js';
import { FailQueueRouting } from './fail-queue-routing.js';
import type { Logger } from './logger.js';
import { livenessWindowMs } from './node-placement.js';
import { reconcileSoon } from './reconcile-soon.js';
import { lateStartSucceeded } from './surplus.js';
import { checkLiveness, noteHeartbeat } from './liveness.js';
import { compileMasterOptions } from './options.js';
import type { CompiledMasterOptions, MasterOptions } from './options.js';
import { PendingReplies } from './pending-replies.js';
import { MalformedFrames } from './malformed-frames.js';
import type { KeysReloaded, MasterSecurity, PeerRoles } from './security.js';
import { FrameGate } from './frame-gate.js';
import { openMasterSocket } from './master-socket.js';
import { Replies } from './replies.js';
import { NameClaims } from './name-claims.js';
import { admitReady, registerWorker } from './admission.js';
import { nodeExited } from './node-exits.js';
import { Scaling } from './scaling.js';
import { readDesiredState } from './desired-state.js';
import type { DesiredState } from './desired-state.js';
import { infoPage, workerInfoPage } from './info-pages.js';
import { BreachLog, nodesBreach, readyBreach } from './peer-limits.js';
import { LoopSaturation } from './loop-saturation.js';
import type { LimitBreach } from './peer-limits.js';
import { Lifecycle } from '@monomyth/mmop';
import type { CloseOptions } from '@monomyth/mmop';

/**
 * - `running`: serving (from create() on);
 * - `closing`: close() called: answering what waits, closing the socket;
 * - `closed`: after a clean close; `run()` has resolved;
 * - `failed`: its socket failed for good; `run()` has rejected (the master closes itself).
 */
export type MasterState = 'running' | 'closing' | 'closed' | 'failed';

const MASTER_TRANSITIONS = {
  running: ['closing', 'failed'],
  closing: ['closed'],
  closed: [],
  failed: [],
} as const satisfies Record<MasterState, readonly MasterState[]>;

export class Master {
  readonly epoch: string;
  /** The endpoint actually bound (a `*` port resolved to the port chosen). */
  readonly endpoint: string;
  readonly #router: Router;
  readonly #codec: MmopCodec;
  readonly #replies: Replies;
  readonly #log: Logger;
  readonly #context: MasterContext;
  readonly #malformed: MalformedFrames;
  readonly #breaches: BreachLog;
  readonly #saturation = new LoopSaturation();
  readonly #cluster = new Cluster();
  /** Message totals from heartbeats and the master's own counts, for `--http` (cheap enough to keep always). */
  readonly #stats = new MasterStats();
  #http: MasterHttpServer | undefined;
  readonly #security: MasterSecurity | undefined;
  readonly #claims = new NameClaims();
  readonly #failQueues = new FailQueueRouting();
  readonly #gate: FrameGate | undefined;
  readonly #receiving: Promise<void>;
  readonly #liveness: NodeJS.Timeout;
  readonly #life: Lifecycle<MasterState>;
  readonly #scaling: Scaling;
  #requestCount = 0;
  /** Until when READYs may raise desired counts (a restarted master recovering its picture); see recoveryWindowMs. */
  #learnsDesiredUntil: number;
  #closing: Promise<void> | undefined;

  /** Binds the master's ROUTER and starts serving. */
  static async create(options: MasterOptions = {}): Promise<Master> {
    const compiled = compileMasterOptions(options);
    const log = compiled.logger.child({ component: 'master', epoch: compiled.epoch });
    // Before binding: a state file that cannot be used stops the start, with nothing to release.
    const restored =
      compiled.stateFile === undefined ? undefined : await readDesiredState(compiled.stateFile);
    const { router, security } = await openMasterSocket(compiled, log);
    const master = new Master(router, compiled, security, restored);
    if (compiled.http) await master.#serveHttp(compiled.http);
    return master;
  }

  private constructor(
    router: Router,
    options: CompiledMasterOptions,
    security: MasterSecurity | undefined,
    restored?: DesiredState,
  ) {
    this.#router = router;
    this.#security = security;
    this.epoch = options.epoch;
    this.endpoint = router.lastEndpoint ?? options.bind;
    this.#log = options.logger.child({ component: 'master', epoch: this.epoch });
    this.#life = new Lifecycle<MasterState>({
      component: 'master',
      initial: 'running',
      transitions: MASTER_TRANSITIONS,
      log: (level, fields, msg) => this.#log[level](fields, msg),
    });
    // What the master decodes is bounded by maxFrameBytes (ZeroMQ already refused larger frames); what it encodes, by
    // the codec limits, so a large INFO-RESPONSE can still go out.
    this.#codec = new MmopCodec({
      ...options.codecLimits,
      maxBodyBytes: Math.min(options.maxFrameBytes, options.codecLimits.maxBodyBytes),
    });
    this.#malformed = new MalformedFrames(this.#log);
    this.#breaches = new BreachLog(this.#log);
    this.#gate =
      security &&
      new FrameGate(security, this.#log, (identity, peer) => this.#onRefused(identity, peer));
    this.#replies = new Replies(router, new MmopCodec(options.codecLimits), this.#log, () =>
      this.#life.is('closed', 'failed'),
    );
    this.#context = {
      cluster: this.#cluster,
      options,
      log: this.#log,
      starts: new PendingReplies<StartAnswer>(),
      stops: new PendingReplies<StopAnswer>(),
      shutdowns: new PendingReplies<never>(),
      send: (identity, message) => this.#replies.send(identity, message),
      nextRequestId: () => `${this.epoch}-${++this.#requestCount}`,
      now: () => Date.now(),
      startRecipe: (recipe) => this.#scaling.startRecipe(recipe),
    };
    this.#learnsDesiredUntil = Date.now() + options.recoveryWindowMs;
    this.#scaling = new Scaling(this.#context, {
      backlog: () => {
        const queues = this.#cluster.queueBacklog();
        return (type) => {
          const counts = this.#cluster.backlogOf(type, queues);
          return counts && counts.ready + counts.unacked;
        };
      },
      stateFile: options.stateFile,
      restored,
      inRecovery: () => Date.now() < this.#learnsDesiredUntil,
    });
    this.#liveness = setInterval(() => this.#checkLiveness(), options.heartbeatIntervalMs);
    this.#receiving = this.#receive();
    this.#log.info({ endpoint: this.endpoint, curve: security !== undefined }, 'master listening');
  }

  /** Where `--http` serves the dashboard, metrics and probes (`http://host:port`), or undefined without it. */
  get httpUrl(): string | undefined {
    return this.#http?.url;
  }

  /** Starts the operator HTTP server; a master whose address cannot be bound closes and rethrows. */
  async #serveHttp(http: NonNullable<CompiledMasterOptions['http']>): Promise<void> {
    try {
      this.#http = await startMasterHttp(http, {
        cluster: {
          epoch: this.epoch,
          endpoint: this.endpoint,
          workers: () => this.workers(),
          recipes: () => this.recipes(),
          queueBacklog: () => this.queueBacklog(),
          recipe: (type) => this.#cluster.recipe(type),
        },
        stats: this.#stats,
        notReady: () =>
          this.#life.is('running') ? undefined : `the master is ${this.#life.state}`,
      });
      this.#log.info({ url: this.#http.url }, `dashboard and metrics on ${this.#http.url}`);
    } catch (error) {
      await this.close({ reason: 'its HTTP address could not be bound' });
      throw error;
    }
  }

  /** The master's CURVE public key (Z85), or undefined when CURVE is off. */
  get publicKey(): string | undefined {
    return this.#security?.publicKey;
  }

  /**
   * Reads the key directories again (the app calls it on SIGHUP). New lists apply to new connections at once and to
   * connected peers at their next frame: a worker whose key is gone is dropped from the registry then, and the names
   * bound to removed keys are free. On a missing or bad file the old lists stay and this rejects. Undefined without CURVE.
   */
  async reloadKeys(): Promise<KeysReloaded | undefined> {
    if (!this.#security) return undefined;
    const reloaded = await this.#security.reload();
    this.#claims.release(reloaded.removed);
    return reloaded;
  }

  get state(): MasterState {
    return this.#life.state;
  }

  /** Resolves once the master is closed; rejects if its socket fails for good (the master then closes itself). */
  run(): Promise<void> {
    return this.#receiving;
  }

  /** The registered workers, as WORKER-INFO reports them. */
  workers(): WorkerInfo[] {
    return this.#cluster.workerInfo(Date.now(), livenessWindowMs(this.#context));
  }

  /** Every node type known, with its desired, running and outstanding counts, as RECIPE-INFO reports them. */
  recipes(): RecipeInfo[] {
    return this.#scaling.describe(this.#cluster.recipeInfo());
  }

  /** The backlog of every queue the workers' heartbeats report (the source queues of their nodes), by queue name. */
  queueBacklog(): QueueBacklog[] {
    return [...this.#cluster.queueBacklog().values()].sort((a, b) =>
      a.queue.localeCompare(b.queue),
    );
  }

  /**
   * Stops serving. Requests still waiting on workers are answered as failed. Idempotent: later calls return the first
   * call's promise. The master has nothing to drain: `drainTimeoutMs` is ignored, `reason` is logged.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      // Already failed: the cleanup below still runs, the state stays failed.
      this.#life.move('closing', { reason: options.reason ?? 'closed' });
      clearInterval(this.#liveness);
      this.#context.starts.closeAll('the master is closing');
      this.#context.stops.closeAll('the master is closing');
      this.#context.shutdowns.closeAll('the master is closing');
      this.#failQueues.closeAll('the master is closing');
      // Let the answers to those requests go out before the socket closes.
      await new Promise((resolve) => setImmediate(resolve));
      this.#replies.close();
      // No unbind() first: unbinding a ROUTER with connected peers trips an assertion in libzmq 4.3.5 (pipe.cpp:355).
      // The port is freed shortly after close(), on ZeroMQ's I/O thread.
      this.#router.close();
      await this.#receiving.catch(() => {});
      await this.#security?.close();
      await this.#scaling.close();
      await this.#http?.close();
      this.#life.move('closed');
      this.#log.info({}, 'master closed');
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#router) this.#onFrames(frames);
    } catch (error) {
      if (this.#life.is('running')) {
        this.#life.to('failed', { err: error });
        this.#log.error({ err: error }, 'master socket failed');
        void this.close({ reason: 'the socket failed' });
        throw error;
      }
    }
  }

  #onFrames(frames: Buffer[]): void {
    this.#stats.framesReceived += 1;
    // Admitted by ZAP, but which key, in which role now? A peer that cannot say gets nothing, not even ERROR.
    const peer = this.#gate?.sender(frames);
    if (this.#gate && !peer) return;
    let identity: Buffer;
    let message: MmopMessage;
    try {
      ({ identity, message } = this.#codec.decodeEnvelope(frames));
    } catch (error) {
      this.#stats.framesMalformed += 1;
      const reply = this.#malformed.handle(frames, error);
      if (reply)
        this.#replies.error(
          reply.identity,
          reply.requestId,
          reply.status,
          reply.code,
          reply.reason,
        );
      return;
    }
    if (peer && !this.#gate?.allows(identity, peer, message.kind)) return;
    try {
      this.#dispatch(identity, message, peer);
    } catch (error) {
      const requestId = 'requestId' in message ? message.requestId : undefined;
      this.#replies.internalError(identity, requestId, error, { kind: message.kind });
    }
  }

  /** A refused frame came from a registered worker whose key is no longer a worker key: it is dropped. */
  #onRefused(identity: Buffer, peer: PeerRoles | undefined): void {
    const worker = this.#cluster.workerByIdentity(identity);
    if (!worker || peer?.worker) return;
    this.#log.warn(
      { workerId: worker.id, publicKey: worker.publicKey },
      'worker key removed: dropping the worker',
    );
    this.#forget(worker.id, `the key of worker ${worker.id} was removed`);
  }

  #dispatch(identity: Buffer, message: MmopMessage, peer: PeerRoles | undefined): void {
    const context = this.#context;
    switch (message.kind) {
      case 'READY': {
        // Over a limit: refused before anything is taken in. A capacity over maxNodesPerWorker counts as that many.
        const breach = readyBreach(
          message,
          context.options.limits,
          this.#cluster.workerCount,
          this.#cluster.worker(message.workerId) === undefined,
        );
        if (breach) return this.#refuse(identity, breach, 'READY');
        const { maxNodesPerWorker } = context.options.limits;
        const ready = { ...message, capacity: Math.min(message.capacity, maxNodesPerWorker) };
        return admitReady(context, this.#claims, identity, ready, peer, {
          admit: (claimant) =>
            registerWorker(this.#context, this.#claims, claimant, ready, {
              learnDesired: Date.now() < this.#learnsDesiredUntil,
              masterEpoch: this.epoch,
              isRunning: () => this.#life.is('running'),
            }),
          masterEpoch: this.epoch,
          isRunning: () => this.#life.is('running'),
        });
      }
      case 'HEARTBEAT':
        return this.#onHeartbeat(identity, message);
      case 'START-NODE-SUCCESS':
      case 'START-NODE-FAILURE':
      case 'STOP-NODE-SUCCESS':
      case 'STOP-NODE-FAILURE':
        return this.#onWorkerAnswer(identity, message);
      case 'NODE-EXITED':
        return this.#onNodeExited(identity, message);
      case 'BYE':
        return this.#onBye(identity, message);
      case 'PING':
        return this.#replies.reply(identity, {
          kind: 'PONG',
          requestId: message.requestId,
          masterEpoch: this.epoch,
        });
      case 'WORKER-INFO': {
        const { items, total } = workerInfoPage(
          this.#cluster,
          message,
          Date.now(),
          livenessWindowMs(this.#context),
        );
        return this.#replies.reply(identity, {
          kind: 'INFO-RESPONSE',
          requestId: message.requestId,
          workers: items,
          ...(total !== undefined && { total }),
        });
      }
      case 'RECIPE-INFO': {
        const { items, total } = infoPage(this.recipes(), message);
        return this.#replies.reply(identity, {
          kind: 'INFO-RESPONSE',
          requestId: message.requestId,
          recipes: items,
          ...(total !== undefined && { total }),
        });
      }
      case 'START-NODE-REQUEST':
        this.#endRecovery();
        this.#replies.answer(identity, message.requestId, startNodes(context, message));
        return this.#scaling.save();
      case 'STOP-NODE-REQUEST':
        this.#endRecovery();
        this.#replies.answer(identity, message.requestId, stopNodes(context, message));
        return this.#scaling.save();
      case 'AUTOSCALE-REQUEST':
        this.#endRecovery();
        return this.#replies.reply(identity, this.#scaling.request(message));
      case 'RATE-LIMIT-REQUEST':
        return this.#replies.reply(identity, this.#scaling.rateLimitRequest(message));
      case 'STOP-WORKER-REQUEST':
        return this.#replies.answer(identity, message.requestId, stopWorker(context, message));
      case 'FAIL-QUEUE-REQUEST':
        return this.#replies.answer(
          identity,
          message.requestId,
          this.#failQueues.request(context, message),
        );
      case 'FAIL-QUEUE-SUCCESS':
      case 'FAIL-QUEUE-FAILURE':
        if (!this.#failQueues.answer(message))
          this.#log.info(
            { kind: message.kind, requestId: message.requestId },
            'late answer from a worker',
          );
        return;
      default: {
        // A kind the master sends but never receives: the peer is confused, not malicious.
        const requestId = 'requestId' in message ? message.requestId : undefined;
        this.#log.warn(
          { kind: message.kind, peer: describeRoutingId(identity) },
          'unexpected message kind for a master',
        );
        if (requestId)
          this.#replies.error(
            identity,
            requestId,
            Status.BadRequest,
            ReplyCode.UnexpectedKind,
            `a master does not accept ${message.kind}`,
          );
      }
    }
  }

  /** An operator has spoken: from now on their counts rule, and READYs no longer raise them. */
  #endRecovery(): void {
    this.#learnsDesiredUntil = 0;
    this.#scaling.recoveryOver();
  }

  /** A message over a limit (peer-limits.ts): ERROR to its sender, a log line at a bounded rate, nothing kept. */
  #refuse(identity: Buffer, breach: LimitBreach, kind: string): void {
    this.#breaches.note(breach, { kind, peer: describeRoutingId(identity) });
    this.#replies.error(identity, undefined, breach.status, breach.code, breach.reason);
  }

  #onHeartbeat(identity: Buffer, heartbeat: MessageOf<'HEARTBEAT'>): void {
    const worker = this.#cluster.workerByIdentity(identity);
    if (!worker) {
      // Lost and back, or registered with a master that has since restarted: it must register again.
      this.#replies.error(
        identity,
        undefined,
        Status.NotFound,
        ReplyCode.NotRegistered,
        'this master does not know you: send READY',
      );
      return;
    }
    const breach = nodesBreach(heartbeat.nodes, this.#context.options.limits);
    if (breach) return this.#refuse(identity, breach, 'HEARTBEAT');
    noteHeartbeat(this.#context, worker, heartbeat);
    worker.noteQueues(heartbeat.queues, this.#context.now());
    this.#stats.heartbeat(worker.id, heartbeat.nodes);
    this.#replies.reply(identity, { kind: 'HEARTBEAT-ACK', masterEpoch: this.epoch });
  }

  #onNodeExited(identity: Buffer, exited: MessageOf<'NODE-EXITED'>): void {
    const worker = this.#cluster.workerByIdentity(identity);
    if (worker) nodeExited(this.#context, worker, exited);
  }

  #onBye(identity: Buffer, bye: MessageOf<'BYE'>): void {
    const worker = this.#cluster.workerByIdentity(identity);
    if (!worker) return;
    this.#log.info(
      { workerId: worker.id, reason: bye.reason, nodes: worker.nodes.size },
      'worker left',
    );
    this.#forget(worker.id, `worker ${worker.id} left: ${bye.reason}`);
  }

  #checkLiveness(): void {
    this.#scaling.tick();
    checkLiveness(
      this.#context,
      (workerId, reason) => {
        this.#stats.workerLost(
          reason.startsWith(`worker ${workerId} was stalled`) ? 'stalled' : 'silent',
        );
        this.#forget(workerId, reason);
      },
      this.#saturation,
    );
  }

  /** Removes a worker and settles everything that waited on it; its nodes are placed on the others. */
  #forget(workerId: string, reason: string): void {
    const worker = this.#cluster.worker(workerId);
    if (!worker) return;
    this.#cluster.remove(worker, livenessWindowMs(this.#context));
    this.#context.starts.failWorker(workerId, reason);
    this.#context.stops.failWorker(workerId, reason);
    this.#context.shutdowns.failWorker(workerId, reason);
    this.#failQueues.failWorker(workerId, reason);
    // Once for all the workers lost together (1,000 at once cost 1,000 walks of the cluster otherwise).
    reconcileSoon(this.#context, () => this.#life.is('running'));
  }

  /** A worker's answer to START-NODE or STOP-NODE settles the request waiting on it, if one still does. */
  #onWorkerAnswer(identity: Buffer, message: StartAnswer | StopAnswer): void {
    const matched =
      message.kind === 'START-NODE-SUCCESS' || message.kind === 'START-NODE-FAILURE'
        ? this.#context.starts.answer(message.requestId, message)
        : this.#context.stops.answer(message.requestId, message);
    if (matched) return;
    this.#log.info(
      { kind: message.kind, requestId: message.requestId },
      'late answer from a worker',
    );
    // Other late answers: the next heartbeat brings the worker's true node list.
    const worker = this.#cluster.workerByIdentity(identity);
    if (message.kind === 'START-NODE-SUCCESS' && worker)
      lateStartSucceeded(this.#context, worker, message);
  }
}
