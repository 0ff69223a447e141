/**
 * The master: one ROUTER that workers and control clients connect to. It registers workers, schedules nodes on them,
 * declares silent workers lost and places their nodes elsewhere, shows workers whose event loop is blocked as
 * `stalled` (their nodes stay until the stall limit), drains nodes beyond the desired counts, and answers control
 * requests. It never imports user code or touches the data plane: nodes move data through the broker, the master only
 * tells workers what to run.
 *
 * Nothing a peer sends can crash or stall it: frames that do not decode are logged (rate-limited) and, where they carry
 * a request id, answered with ERROR; a request whose handling fails is answered with ERROR 500 (frame-intake.ts).
 *
 * This file holds the Master's public surface, its lifecycle and the dispatch of each MMOP kind to its handler: what
 * workers send in worker-messages.ts and worker-loss.ts, control requests in control-requests.ts, scaling.ts and
 * info-requests.ts, the handlers' shared parts in master-parts.ts, the HTTP side in http/serve-http.ts.
 */
import type { Router } from 'zeromq';
import { Lifecycle, MmopCodec } from '@monomyth/mmop';
import type { CloseOptions, MmopMessage, RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { Cluster } from './cluster.js';
import type { QueueBacklog } from './queue-backlog.js';
import { MasterStats } from './http/master-stats.js';
import type { MasterHttpServer } from './http/master-http.js';
import { serveHttp } from './http/serve-http.js';
import type { MasterContext, StartAnswer, StopAnswer } from './context.js';
import { startNodes, stopNodes, stopWorker } from './control-requests.js';
import type { Logger } from './logger.js';
import { livenessWindowMs } from './node-placement.js';
import { compileMasterOptions } from './options.js';
import type { CompiledMasterOptions, MasterOptions } from './options.js';
import { PendingReplies } from './pending-replies.js';
import type { KeysReloaded, MasterSecurity, PeerRoles } from './security.js';
import { createFrameIntake, takeFrames, unexpectedKind } from './frame-intake.js';
import type { FrameIntake } from './frame-intake.js';
import { openMasterSocket } from './master-socket.js';
import { createMasterParts } from './master-parts.js';
import type { MasterParts } from './master-parts.js';
import { Replies } from './replies.js';
import { repeatedHeartbeat } from './repeated-heartbeat.js';
import { readDesiredState } from './desired-state.js';
import type { DesiredState } from './desired-state.js';
import { pong, recipeInfoAnswer, workerInfoAnswer } from './info-requests.js';
import {
  onFailQueueAnswer,
  onHeartbeat,
  onRepeatedHeartbeat,
  onNodeExited,
  onReady,
  onWorkerAnswer,
} from './worker-messages.js';
import { checkWorkers, onBye, onKeyRemoved } from './worker-loss.js';

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
  readonly #log: Logger;
  readonly #context: MasterContext;
  /** What the message handlers reach (master-parts.ts); the state they change stays here. */
  readonly #parts: MasterParts;
  readonly #intake: FrameIntake;
  readonly #cluster = new Cluster();
  #http: MasterHttpServer | undefined;
  readonly #security: MasterSecurity | undefined;
  readonly #receiving: Promise<void>;
  readonly #liveness: NodeJS.Timeout;
  readonly #life: Lifecycle<MasterState>;
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
    if (compiled.http)
      master.#http = await serveHttp(compiled.http, master, {
        cluster: master.#cluster,
        stats: master.#parts.stats,
        log: master.#log,
      });
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
    const replies = new Replies(router, new MmopCodec(options.codecLimits), this.#log, () =>
      this.#life.is('closed', 'failed'),
    );
    const stats = new MasterStats();
    this.#intake = createFrameIntake(
      options,
      security,
      { log: this.#log, replies, stats },
      (identity, peer) => onKeyRemoved(this.#parts, identity, peer),
    );
    this.#context = {
      cluster: this.#cluster,
      options,
      log: this.#log,
      starts: new PendingReplies<StartAnswer>(),
      stops: new PendingReplies<StopAnswer>(),
      shutdowns: new PendingReplies<never>(),
      send: (identity, message) => replies.send(identity, message),
      nextRequestId: () => `${this.epoch}-${++this.#requestCount}`,
      now: () => Date.now(),
      startRecipe: (recipe) => this.#parts.scaling.startRecipe(recipe),
    };
    this.#learnsDesiredUntil = Date.now() + options.recoveryWindowMs;
    this.#parts = createMasterParts(
      this.#context,
      { epoch: this.epoch, replies, stats, restored },
      {
        isRunning: () => this.#life.is('running'),
        learnsDesired: () => Date.now() < this.#learnsDesiredUntil,
      },
    );
    this.#liveness = setInterval(() => checkWorkers(this.#parts), options.heartbeatIntervalMs);
    this.#receiving = this.#receive();
    this.#log.info({ endpoint: this.endpoint, curve: security !== undefined }, 'master listening');
  }

  /** Where `--http` serves the dashboard, metrics and probes (`http://host:port`), or undefined without it. */
  get httpUrl(): string | undefined {
    return this.#http?.url;
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
    this.#parts.claims.release(reloaded.removed);
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
    return this.#parts.scaling.describe(this.#cluster.recipeInfo());
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
      this.#parts.failQueues.closeAll('the master is closing');
      // Let the answers to those requests go out before the socket closes.
      await new Promise((resolve) => setImmediate(resolve));
      this.#parts.replies.close();
      // No unbind() first: unbinding a ROUTER with connected peers trips an assertion in libzmq 4.3.5 (pipe.cpp:355).
      // The port is freed shortly after close(), on ZeroMQ's I/O thread.
      this.#router.close();
      await this.#receiving.catch(() => {});
      await this.#security?.close();
      await this.#parts.scaling.close();
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
    const dispatch = this.#dispatch.bind(this);
    const shortcut = this.#answerRepeated.bind(this);
    try {
      // receive() itself rather than the socket's async iterator: one promise less per message. Once the socket is
      // closed, the pending receive() rejects and the check below tells a close from a failure.
      const router = this.#router;
      while (!router.closed) takeFrames(this.#intake, await router.receive(), dispatch, shortcut);
    } catch (error) {
      if (this.#life.is('running')) {
        this.#life.to('failed', { err: error });
        this.#log.error({ err: error }, 'master socket failed');
        void this.close({ reason: 'the socket failed' });
        throw error;
      }
    }
  }

  /** A heartbeat that repeats its worker's last one is answered without decoding it (repeated-heartbeat.ts). */
  #answerRepeated(frames: readonly Buffer[], peer: PeerRoles | undefined): boolean {
    const worker = repeatedHeartbeat(frames, peer, this.#cluster);
    if (worker === undefined) return false;
    onRepeatedHeartbeat(this.#parts, worker);
    return true;
  }

  #dispatch(
    identity: Buffer,
    message: MmopMessage,
    peer: PeerRoles | undefined,
    body: Buffer,
  ): void {
    const parts = this.#parts;
    const { context, replies, scaling } = parts;
    switch (message.kind) {
      case 'READY':
        return onReady(parts, identity, message, peer);
      case 'HEARTBEAT':
        return onHeartbeat(parts, identity, message, body);
      case 'START-NODE-SUCCESS':
      case 'START-NODE-FAILURE':
      case 'STOP-NODE-SUCCESS':
      case 'STOP-NODE-FAILURE':
        return onWorkerAnswer(parts, identity, message);
      case 'NODE-EXITED':
        return onNodeExited(parts, identity, message);
      case 'BYE':
        return onBye(parts, identity, message);
      case 'PING':
        return replies.reply(identity, pong(this.epoch, message));
      case 'WORKER-INFO':
        return replies.reply(identity, workerInfoAnswer(context, message));
      case 'RECIPE-INFO':
        return replies.reply(identity, recipeInfoAnswer(this.recipes(), message));
      case 'START-NODE-REQUEST':
        this.#endRecovery();
        replies.answer(identity, message.requestId, startNodes(context, message));
        return scaling.save();
      case 'STOP-NODE-REQUEST':
        this.#endRecovery();
        replies.answer(identity, message.requestId, stopNodes(context, message));
        return scaling.save();
      case 'AUTOSCALE-REQUEST':
        this.#endRecovery();
        return replies.reply(identity, scaling.request(message));
      case 'RATE-LIMIT-REQUEST':
        return replies.reply(identity, scaling.rateLimitRequest(message));
      case 'STOP-WORKER-REQUEST':
        return replies.answer(identity, message.requestId, stopWorker(context, message));
      case 'FAIL-QUEUE-REQUEST':
        return replies.answer(
          identity,
          message.requestId,
          parts.failQueues.request(context, message),
        );
      case 'FAIL-QUEUE-SUCCESS':
      case 'FAIL-QUEUE-FAILURE':
        return onFailQueueAnswer(parts, message);
      default:
        return unexpectedKind(replies, this.#log, identity, message);
    }
  }

  /** An operator has spoken: from now on their counts rule, and READYs no longer raise them. */
  #endRecovery(): void {
    this.#learnsDesiredUntil = 0;
    this.#parts.scaling.recoveryOver();
  }
}
