/**
 * A typed client for the master: one DEALER, any number of requests in flight, each correlated by its requestId and
 * bounded by a timeout, so a call never hangs on a master that is down.
 */
import { randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MASTER_ENDPOINT,
  Lifecycle,
  MmopCodec,
  OptionChecker,
  OrderedSender,
  ReplyCode,
  checkClientCurve,
  newInstance,
  routingIdFor,
} from '@monomyth/mmop';
import type { CloseOptions, MessageOf, MmopMessage, RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import {
  ControlClientClosedError,
  ControlClientFailedError,
  ControlRequestError,
  MasterUnreachableError,
} from './errors.js';
import {
  DEFAULT_CONTROL_START_TIMEOUT_MS,
  DEFAULT_CONTROL_TIMEOUT_MS,
  DEFAULT_FAIL_QUEUE_TIMEOUT_MS,
  DEFAULT_REDRIVE_TIMEOUT_MS,
  INFO_PAGE_SIZE,
  STOP_ANSWER_GRACE_MS,
} from './control-calls.js';
import type {
  AutoscalePolicyInput,
  AutoscaleResult,
  ControlClientOptions,
  FailQueueOptions,
  FailQueueResult,
  RateLimitInput,
  RateLimitResult,
  RecipesQuery,
  RedriveOptions,
  StartNodeOptions,
  StartNodeResult,
  StopNodeResult,
  StopOptions,
  WorkersQuery,
} from './control-calls.js';

/**
 * - `open`: from construction (the DEALER connects in the background; calls time out while no master answers);
 * - `closed`: after close(); calls fail with ControlClientClosedError;
 * - `failed`: its socket failed; calls fail with ControlClientFailedError. close() still releases it.
 */
export type ControlClientState = 'open' | 'closed' | 'failed';

const CONTROL_CLIENT_TRANSITIONS = {
  open: ['closed', 'failed'],
  closed: [],
  failed: [],
} as const satisfies Record<ControlClientState, readonly ControlClientState[]>;

interface Waiting {
  readonly resolve: (message: MmopMessage) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class ControlClient {
  readonly master: string;
  readonly #timeoutMs: number;
  readonly #dealer: Dealer;
  readonly #sender: OrderedSender;
  readonly #codec = new MmopCodec();
  readonly #waiting = new Map<string, Waiting>();
  readonly #prefix = randomUUID().slice(0, 8);
  #count = 0;
  readonly #life = new Lifecycle<ControlClientState>({
    component: 'control client',
    initial: 'open',
    transitions: CONTROL_CLIENT_TRANSITIONS,
  });
  #closed = false;
  #failure: ControlClientFailedError | undefined;

  constructor(options: ControlClientOptions = {}) {
    this.master = options.master ?? DEFAULT_MASTER_ENDPOINT;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CONTROL_TIMEOUT_MS;
    this.#dealer = new Dealer({ linger: 0, ...curveSocketOptions(options) });
    this.#dealer.connect(this.master);
    this.#sender = new OrderedSender((frames) => this.#dealer.send(frames));
    void this.#receive();
  }

  /** Asks the master for a PONG; resolves with its epoch and the round trip time. */
  async ping(): Promise<{ masterEpoch: string; roundTripMs: number }> {
    const started = performance.now();
    const pong = await this.#request('PONG', { kind: 'PING', requestId: this.#nextId() });
    return { masterEpoch: pong.masterEpoch, roundTripMs: performance.now() - started };
  }

  /**
   * The registered workers (those that offer `type`, if given; the first `limit`, if given), fetched a page at a time
   * (each page within the timeout). The filter applies at the master: only the workers asked for cross the wire.
   */
  async workers(options: WorkersQuery = {}): Promise<WorkerInfo[]> {
    return this.#allPages(
      'WORKER-INFO',
      (info) => info.workers,
      (worker) => worker.workerId,
      options.limit,
      options.type === undefined ? {} : { type: options.type },
    );
  }

  /** The node types the master knows (the first `limit`, if given), fetched a page at a time (each within the timeout). */
  async recipes(options: RecipesQuery = {}): Promise<RecipeInfo[]> {
    return this.#allPages(
      'RECIPE-INFO',
      (info) => info.recipes,
      (recipe) => recipe.type,
      options.limit,
      {},
    );
  }

  /**
   * Asks for INFO_PAGE_SIZE entries at a time until the master's `total` is reached. The list may change between
   * pages: an entry seen twice (the list shifted back) is kept once; one that joined meanwhile may be missed, as it
   * would have been a moment earlier. A master without pages answers the whole list, without `total`, at once.
   */
  async #allPages<T>(
    kind: 'WORKER-INFO' | 'RECIPE-INFO',
    entries: (info: MessageOf<'INFO-RESPONSE'>) => T[] | undefined,
    key: (entry: T) => string,
    limit: number | undefined,
    filter: { type?: string },
  ): Promise<T[]> {
    const wanted = limit ?? Infinity;
    const seen = new Map<string, T>();
    if (wanted < 1) return [];
    for (let offset = 0; ;) {
      const info = await this.#request('INFO-RESPONSE', {
        kind,
        requestId: this.#nextId(),
        offset,
        limit: Math.min(INFO_PAGE_SIZE, wanted - seen.size),
        ...filter,
      });
      const page = entries(info) ?? [];
      for (const entry of page) {
        if (seen.size < wanted && !seen.has(key(entry))) seen.set(key(entry), entry);
      }
      offset += page.length;
      if (
        info.total === undefined ||
        page.length === 0 ||
        offset >= info.total ||
        seen.size >= wanted
      )
        return [...seen.values()];
    }
  }

  /** Starts `count` nodes of a type; resolves once the workers have answered, with the nodes started and any failures. */
  async startNode(
    type: string,
    count = 1,
    options: StartNodeOptions = {},
  ): Promise<StartNodeResult> {
    const { type: started, ...rest } = await this.#request(
      'START-NODE-REQUEST-SUCCESS',
      { kind: 'START-NODE-REQUEST', requestId: this.#nextId(), type, count },
      options.timeoutMs ?? DEFAULT_CONTROL_START_TIMEOUT_MS,
    );
    return { type: started, started: rest.started, failures: rest.failures };
  }

  /** Stops `count` nodes of a type, or the one node named; resolves once they have drained. */
  async stopNode(target: string, count = 1, options: StopOptions = {}): Promise<StopNodeResult> {
    const answer = await this.#request(
      'STOP-NODE-REQUEST-SUCCESS',
      {
        kind: 'STOP-NODE-REQUEST',
        requestId: this.#nextId(),
        target,
        count,
        drainTimeoutMs: options.drainTimeoutMs,
      },
      stopAnswerTimeoutMs(options),
    );
    return { stopped: answer.stopped, failures: answer.failures ?? [] };
  }

  /**
   * Sets a node type's autoscale policy, or turns autoscaling off with `undefined` (its desired count then stays where
   * it is). The master applies it at once: a count outside the new bounds is moved inside before it answers.
   */
  async autoscale(
    type: string,
    policy: AutoscalePolicyInput | undefined,
  ): Promise<AutoscaleResult> {
    const answer = await this.#request('AUTOSCALE-REQUEST-SUCCESS', {
      kind: 'AUTOSCALE-REQUEST',
      requestId: this.#nextId(),
      type,
      ...(policy && { policy }),
    });
    return {
      type: answer.type,
      ...(answer.policy && { policy: answer.policy }),
      desired: answer.desired,
    };
  }

  /**
   * How many messages wait in a node type's fail queue and, with `peek`, the first `peek` of them (at most
   * MAX_FAIL_QUEUE_PEEK): why each failed, and the start of its body. A worker that offers the type reads them.
   */
  async failedMessages(
    type: string,
    options: FailQueueOptions & { peek?: number } = {},
  ): Promise<FailQueueResult> {
    return this.#failQueue(
      { type, action: 'inspect', peek: options.peek },
      options.timeoutMs ?? DEFAULT_FAIL_QUEUE_TIMEOUT_MS,
    );
  }

  /**
   * Moves a node type's failed messages back to its source queue (or `to`), their attempt count reset; each copy is
   * confirmed before its original leaves the fail queue. Resolves with how many moved.
   */
  async redrive(type: string, options: RedriveOptions = {}): Promise<FailQueueResult> {
    return this.#failQueue(
      { type, action: 'redrive', limit: options.limit, to: options.to },
      options.timeoutMs ?? DEFAULT_REDRIVE_TIMEOUT_MS,
    );
  }

  /** Deletes every message waiting in a node type's fail queue; resolves with how many. */
  async purgeFailed(type: string, options: FailQueueOptions = {}): Promise<FailQueueResult> {
    return this.#failQueue(
      { type, action: 'purge' },
      options.timeoutMs ?? DEFAULT_FAIL_QUEUE_TIMEOUT_MS,
    );
  }

  async #failQueue(
    ask: Omit<MessageOf<'FAIL-QUEUE-REQUEST'>, 'kind' | 'requestId'>,
    timeoutMs: number,
  ): Promise<FailQueueResult> {
    const request: MessageOf<'FAIL-QUEUE-REQUEST'> = {
      kind: 'FAIL-QUEUE-REQUEST',
      requestId: this.#nextId(),
      ...ask,
    };
    const {
      kind: _kind,
      requestId: _requestId,
      ...result
    } = await this.#request('FAIL-QUEUE-REQUEST-SUCCESS', request, timeoutMs);
    return result;
  }

  /**
   * Sets a node type's cluster-wide rate limit, or clears it with `undefined`. The master sends every node of the type
   * its new share before it answers.
   */
  async rateLimit(type: string, limit: RateLimitInput | undefined): Promise<RateLimitResult> {
    const answer = await this.#request('RATE-LIMIT-REQUEST-SUCCESS', {
      kind: 'RATE-LIMIT-REQUEST',
      requestId: this.#nextId(),
      type,
      ...(limit && { limit }),
    });
    return { type: answer.type, ...(answer.limit && { limit: answer.limit }), nodes: answer.nodes };
  }

  /** Asks a worker to drain and leave; resolves once it has left. */
  async stopWorker(workerId: string, options: StopOptions = {}): Promise<{ workerId: string }> {
    const answer = await this.#request(
      'STOP-WORKER-REQUEST-SUCCESS',
      {
        kind: 'STOP-WORKER-REQUEST',
        requestId: this.#nextId(),
        workerId,
        drainTimeoutMs: options.drainTimeoutMs,
      },
      stopAnswerTimeoutMs(options),
    );
    return { workerId: answer.workerId };
  }

  get state(): ControlClientState {
    return this.#life.state;
  }

  /**
   * Fails the calls still waiting and closes the socket. Idempotent. Nothing drains here (`drainTimeoutMs` is
   * ignored): a call in flight fails with ControlClientClosedError.
   */
  close(_options: CloseOptions = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#life.move('closed');
    this.#failWaiting(() => new ControlClientClosedError());
    this.#sender.close();
    this.#dealer.close();
  }

  #failWaiting(error: () => Error): void {
    for (const [requestId, waiting] of this.#waiting) {
      clearTimeout(waiting.timer);
      this.#waiting.delete(requestId);
      waiting.reject(error());
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #nextId(): string {
    return `${this.#prefix}-${++this.#count}`;
  }

  async #request<K extends MmopMessage['kind']>(
    expected: K,
    request: MmopMessage & { requestId: string },
    timeoutMs = this.#timeoutMs,
  ): Promise<Extract<MmopMessage, { kind: K }>> {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new ControlClientClosedError();
    const frames = this.#codec.encode(request);
    const answer = await new Promise<MmopMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(request.requestId);
        reject(new MasterUnreachableError(this.master, timeoutMs, request.kind));
      }, timeoutMs);
      this.#waiting.set(request.requestId, { resolve, reject, timer });
      this.#sender.send(frames).catch((error: unknown) => {
        if (!this.#waiting.delete(request.requestId)) return;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
    if (answer.kind === expected) return answer as Extract<MmopMessage, { kind: K }>;
    if ('status' in answer && 'reason' in answer && 'code' in answer) {
      throw new ControlRequestError(answer.status, answer.code, answer.reason);
    }
    throw new ControlRequestError(
      502,
      ReplyCode.UnexpectedAnswer,
      `expected ${expected}, the master answered ${answer.kind}`,
    );
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#dealer) {
        let message: MmopMessage;
        try {
          message = this.#codec.decode(frames);
        } catch {
          continue; // Not an answer this client can read; its caller times out with a clear error.
        }
        const requestId = 'requestId' in message ? message.requestId : undefined;
        const waiting = requestId === undefined ? undefined : this.#waiting.get(requestId);
        if (!waiting || requestId === undefined) continue;
        this.#waiting.delete(requestId);
        clearTimeout(waiting.timer);
        waiting.resolve(message);
      }
    } catch (error) {
      // After close() the loop just ends (close() has failed every waiting call); an error before it is a fault: fail
      // the calls now rather than let each wait for its timeout.
      if (this.#closed) return;
      this.#failure = new ControlClientFailedError(error);
      this.#life.to('failed');
      this.#failWaiting(() => this.#failure ?? new ControlClientClosedError());
    }
  }
}

// Typed explicitly, so that a failed check (which returns never) narrows what follows.
/** How long a stop waits for its answer: the drain it asked for (or the usual one), and time for the answer. */
function stopAnswerTimeoutMs(options: StopOptions): number {
  return (
    options.timeoutMs ?? (options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS) + STOP_ANSWER_GRACE_MS
  );
}

const check: OptionChecker = new OptionChecker('control');

/**
 * The DEALER options for CURVE (or none), and a routing id that proves the client's key to the master. Throws
 * InvalidOptionError (component `'control'`) for half a CURVE setting or a key that is not Z85.
 */
function curveSocketOptions(options: ControlClientOptions): Partial<Dealer> {
  const keys = checkClientCurve(check, options, 'client');
  if (!keys) return { routingId: routingIdFor(newInstance()) as unknown as string };
  return {
    curvePublicKey: keys.publicKey,
    curveSecretKey: keys.secretKey,
    curveServerKey: keys.serverKey,
    // zeromq.js takes a Buffer for a binary id, though its type says string.
    routingId: routingIdFor(newInstance(), keys) as unknown as string,
  };
}
