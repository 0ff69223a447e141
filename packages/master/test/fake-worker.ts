/**
 * A worker that speaks MMOP/1 over a real DEALER but runs no nodes: it registers, heartbeats, and answers START-NODE and
 * STOP-NODE as its test tells it to. The master's tests use it to reach every edge of the protocol on demand.
 */
import { randomUUID } from 'node:crypto';
import { Dealer } from 'zeromq';
import { MmopCodec, OrderedSender, SenderClosedError, freshNodeStatus } from '@monomyth/mmop';
import type { CurveClientKeys, MessageOf, MmopMessage, NodeStatus, Recipe } from '@monomyth/mmop';

export type StartPolicy = (recipe: Recipe) => 'succeed' | 'fail' | 'ignore';

export interface FakeWorkerOptions {
  types: string[];
  capacity?: number;
  id?: string;
  startPolicy?: StartPolicy;
  /** Its DEALER's routing id. @default the worker id */
  routingId?: Buffer;
  /** CURVE keys (its pair, the master's public key). @default plain */
  curve?: CurveClientKeys;
  /** Re-register when the master answers a heartbeat with another epoch or NOT_REGISTERED. @default true */
  reRegister?: boolean;
}

export class FakeWorker {
  readonly id: string;
  readonly received: MmopMessage[] = [];
  readonly nodes = new Map<string, { type: string; recipe: Recipe }>();
  startPolicy: StartPolicy;
  /** The event loop lag its heartbeats report. */
  eventLoopLagMs = 0;
  readonly #dealer: Dealer;
  readonly #sender: OrderedSender;
  readonly #codec = new MmopCodec();
  readonly #options: FakeWorkerOptions;
  #heartbeat: NodeJS.Timeout | undefined;
  #epoch = '';
  #closed = false;
  readonly #waiters: {
    match: (message: MmopMessage) => boolean;
    resolve: (message: MmopMessage) => void;
  }[] = [];

  constructor(endpoint: string, options: FakeWorkerOptions) {
    this.#options = options;
    this.id = options.id ?? `monomyth-worker-${randomUUID().slice(0, 8)}`;
    this.startPolicy = options.startPolicy ?? (() => 'succeed');
    const curve = options.curve;
    this.#dealer = new Dealer({
      linger: 0,
      routingId: (options.routingId ?? this.id) as unknown as string,
      ...(curve && {
        curvePublicKey: curve.publicKey,
        curveSecretKey: curve.secretKey,
        curveServerKey: curve.serverKey,
      }),
    });
    this.#dealer.connect(endpoint);
    this.#sender = new OrderedSender((frames) => this.#dealer.send(frames));
    void this.#receive();
  }

  get epoch(): string {
    return this.#epoch;
  }

  /** Sends READY and resolves with REGISTERED. */
  async register(): Promise<MessageOf<'REGISTERED'>> {
    const registered = this.next('REGISTERED');
    await this.send({
      kind: 'READY',
      workerId: this.id,
      host: 'localhost',
      pid: process.pid,
      capacity: this.#options.capacity ?? 100,
      recipes: this.#options.types.map((type) => ({ type, batchSize: 10 })),
      nodes: [...this.nodes].map(([name, node]) => ({
        name,
        type: node.type,
        recipe: node.recipe,
      })),
    });
    const answer = await registered;
    this.#epoch = answer.masterEpoch;
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => void this.beat(), answer.heartbeatIntervalMs);
    return answer;
  }

  beat(): Promise<void> {
    return this.send({
      kind: 'HEARTBEAT',
      masterEpoch: this.#epoch,
      nodes: this.statuses(),
      eventLoopLagMs: this.eventLoopLagMs,
    }).catch(() => {});
  }

  statuses(): NodeStatus[] {
    return [...this.nodes].map(([name, node]) => freshNodeStatus(name, node.type, 'running'));
  }

  /** Stops heartbeating: to the master, this worker goes silent. */
  silence(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /**
   * Takes its first node off and reports it gone for good (NODE-EXITED, not restarting): crashed past its restart limit,
   * or `completed` (a generator that ran out).
   */
  async exitFirstNode(reason: string, completed = false): Promise<void> {
    const [nodeName, node] = [...this.nodes][0]!;
    this.nodes.delete(nodeName);
    await this.send({
      kind: 'NODE-EXITED',
      nodeName,
      type: node.type,
      reason,
      restarting: false,
      ...(completed ? { completed } : {}),
    });
  }

  send(message: MmopMessage): Promise<void> {
    return this.#sender.send(this.#codec.encode(message));
  }

  sendRaw(frames: Buffer[]): Promise<void> {
    return this.#sender.send(frames);
  }

  /** Resolves with the next message of a kind (or one already received and not yet taken). */
  next<K extends MmopMessage['kind']>(
    kind: K,
    match: (message: MessageOf<K>) => boolean = () => true,
  ): Promise<MessageOf<K>> {
    const test = (message: MmopMessage): boolean =>
      message.kind === kind && match(message as unknown as MessageOf<K>);
    const index = this.received.findIndex(test);
    if (index >= 0)
      return Promise.resolve(this.received.splice(index, 1)[0] as unknown as MessageOf<K>);
    return new Promise((resolve) =>
      this.#waiters.push({
        match: test,
        resolve: resolve as unknown as (message: MmopMessage) => void,
      }),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.silence();
    this.#sender.close();
    this.#dealer.close();
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#dealer) this.#onMessage(this.#codec.decode(frames));
    } catch {
      // closed
    }
  }

  /** Answers the master; a worker closed meanwhile (the test is over) answers nothing, as a real one would. */
  #answer(message: MmopMessage): void {
    this.send(message).catch((error: unknown) => {
      if (!(error instanceof SenderClosedError)) throw error;
    });
  }

  #onMessage(message: MmopMessage): void {
    if (message.kind === 'START-NODE') this.#onStart(message);
    if (message.kind === 'STOP-NODE') {
      const existed = this.nodes.delete(message.nodeName);
      this.#answer(
        existed
          ? { kind: 'STOP-NODE-SUCCESS', requestId: message.requestId, nodeName: message.nodeName }
          : {
              kind: 'STOP-NODE-FAILURE',
              requestId: message.requestId,
              nodeName: message.nodeName,
              status: 404,
              code: 'UNKNOWN_NODE',
              reason: 'no such node here',
            },
      );
    }
    if (this.#options.reRegister !== false) {
      const stale = message.kind === 'HEARTBEAT-ACK' && message.masterEpoch !== this.#epoch;
      const unknown = message.kind === 'ERROR' && message.code === 'NOT_REGISTERED';
      if (stale || unknown) void this.register();
    }
    const waiter = this.#waiters.findIndex((candidate) => candidate.match(message));
    if (waiter >= 0) this.#waiters.splice(waiter, 1)[0]!.resolve(message);
    else this.received.push(message);
  }

  #onStart(start: MessageOf<'START-NODE'>): void {
    const decision = this.startPolicy(start.recipe);
    if (decision === 'ignore') return;
    const type = start.recipe.type;
    if (decision === 'fail') {
      this.#answer({
        kind: 'START-NODE-FAILURE',
        requestId: start.requestId,
        type,
        category: 'build',
        reason: 'refused by the test',
      });
      return;
    }
    const nodeName = `${type}:${randomUUID()}`;
    this.nodes.set(nodeName, { type, recipe: start.recipe });
    this.#answer({ kind: 'START-NODE-SUCCESS', requestId: start.requestId, type, nodeName });
  }
}
