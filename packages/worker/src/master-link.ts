/**
 * The main thread's side of the worker's link to the master. It starts the link thread (link-thread.ts), which owns
 * the DEALER, registration and heartbeats, and keeps it informed: it ticks a shared clock every TICK_MS (the thread
 * reads the main loop's lag from it), posts the nodes' statuses for the heartbeats, the node set for READY, and the
 * messages to send. As a batch interceptor it marks, per node, when the batch in flight began, so that a stall can be
 * attributed to the nodes that were running a batch when the loop stopped answering.
 *
 * Why a thread: a transform that keeps the CPU for 27 s blocks every timer on its event loop, heartbeats included, and
 * the master took such a worker for lost. A heartbeat from a thread that runs no user code cannot be blocked by it.
 */
import { Worker as Thread } from 'node:worker_threads';
import { describeError } from '@monomyth/mmop';
import type { MmopMessage, NodeStatus, QueueCounts } from '@monomyth/mmop';
import type { BatchInfo, BatchInterceptor, BatchOutcome, Logger } from '@monomyth/node';
import { MAX_SLOTS, SLOT0, TICK, TICK_MS } from './link-protocol.js';
import type {
  FromLink,
  LinkConfig,
  LinkState,
  RunningNode,
  StalledNode,
  ToLink,
} from './link-protocol.js';

export interface MasterLinkEvents {
  /** A message from the master that the worker itself handles (START-NODE, STOP-NODE, SHUTDOWN, ...). */
  message(message: MmopMessage): void;
  state(state: LinkState, masterEpoch: string): void;
  /** The event loop answered again after being blocked longer than the warning threshold. */
  stall(blockedMs: number, nodes: readonly StalledNode[]): void;
  /** The master refused this worker for good (NAME_TAKEN): the link has stopped registering. */
  refused(code: string, reason: string): void;
  /**
   * The link cannot go on (its socket failed or could not be opened, or the thread ended or threw): reported once,
   * never after close().
   */
  failed(reason: string): void;
}

/** The link thread's code: the built file beside this one, or, when running from sources (tests), the .ts through tsx. */
function startThread(config: LinkConfig): Thread {
  if (import.meta.url.endsWith('.ts')) {
    const url = new URL('./link-thread.ts', import.meta.url).href;
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); })`;
    return new Thread(bootstrap, {
      eval: true,
      workerData: config,
      execArgv: ['--conditions=@monomyth/source'],
    });
  }
  return new Thread(new URL('./link-thread.js', import.meta.url), { workerData: config });
}

export class MasterLink implements BatchInterceptor {
  readonly #thread: Thread;
  readonly #shared: BigInt64Array;
  readonly #events: MasterLinkEvents;
  readonly #log: Logger;
  readonly #statuses: () => NodeStatus[];
  readonly #queueCounts: (() => Promise<QueueCounts[] | undefined>) | undefined;
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  readonly #slots = new Map<string, number>();
  readonly #freeSlots: number[];
  readonly #ticker: NodeJS.Timeout;
  #nextId = 0;
  #ticks = 0;
  #statusEveryTicks = 1;
  /** Queue counts once per heartbeat; 0 until registered (no heartbeats yet, nothing to read them for). */
  #queuesEveryTicks = 0;
  #closing: Promise<void> | undefined;
  #exited = false;
  #failed = false;

  constructor(
    config: Omit<LinkConfig, 'shared'>,
    events: MasterLinkEvents,
    log: Logger,
    statuses: () => NodeStatus[],
    queueCounts?: () => Promise<QueueCounts[] | undefined>,
  ) {
    const slots = Math.min(config.capacity, MAX_SLOTS);
    const shared = new SharedArrayBuffer((SLOT0 + slots) * BigInt64Array.BYTES_PER_ELEMENT);
    this.#shared = new BigInt64Array(shared);
    this.#freeSlots = Array.from({ length: slots }, (_, i) => slots - 1 - i);
    this.#events = events;
    this.#log = log;
    this.#statuses = statuses;
    this.#queueCounts = queueCounts;
    // The clock starts before the thread reads it, so the thread never sees a lag from before the worker existed.
    Atomics.store(this.#shared, TICK, BigInt(Date.now()));
    this.#thread = startThread({ ...config, shared });
    this.#thread.on('message', (message: FromLink) => this.#onThreadMessage(message));
    this.#thread.on('error', (error) =>
      this.#fail(`the link thread failed: ${describeError(error)}`),
    );
    this.#thread.on('exit', (code) => {
      this.#exited = true;
      for (const pending of this.#pending.values())
        pending.reject(new Error('the link to the master is closed'));
      this.#pending.clear();
      this.#fail(`the link thread ended (exit code ${code})`);
    });
    // Not a reason to keep the process alive on its own: the thread is.
    this.#ticker = setInterval(() => this.#tick(), TICK_MS).unref();
  }

  /** Sends a message to the master; resolves once the socket took it, rejects if it could not be sent now. */
  send(message: MmopMessage): Promise<void> {
    if (this.#exited || this.#closing)
      return Promise.reject(new Error('the link to the master is closed'));
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#post({ type: 'send', id, message });
    });
  }

  /** The node set changed: READY lists these, and stalls are attributed by their slots. Posts statuses too. */
  setNodes(running: readonly RunningNode[]): void {
    const names = new Set(running.map((node) => node.name));
    for (const [name, slot] of this.#slots) {
      if (names.has(name)) continue;
      this.#slots.delete(name);
      Atomics.store(this.#shared, SLOT0 + slot, 0n);
      this.#freeSlots.push(slot);
    }
    for (const name of names) {
      if (this.#slots.has(name)) continue;
      const slot = this.#freeSlots.pop();
      if (slot !== undefined) this.#slots.set(name, slot);
    }
    this.#post({ type: 'nodes', running, slots: [...this.#slots] });
    this.#post({ type: 'status', nodes: this.#statuses() });
  }

  /** The worker is leaving: the thread stops registering but keeps heartbeating while the nodes drain. */
  leaving(): void {
    this.#post({ type: 'leaving' });
  }

  /** Closes the socket and ends the thread. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#ticker);
      if (this.#exited) return;
      const exited = new Promise<boolean>((resolve) =>
        this.#thread.once('exit', () => resolve(true)),
      );
      this.#post({ type: 'close' });
      // Never terminate(): zeromq.js aborts the whole process when a thread is torn down while its socket waits for a
      // message. The thread closes its socket and ends by itself; if it has not within 2 s, it stops keeping the
      // process alive.
      const timedOut = new Promise<boolean>((resolve) =>
        setTimeout(() => resolve(false), 2000).unref(),
      );
      if (!(await Promise.race([exited, timedOut]))) {
        this.#log.warn({}, 'the link thread did not end within 2 s of close');
        this.#thread.unref();
      }
    })();
    return this.#closing;
  }

  /** Marks the node's slot while its batch runs: one clock read and two shared stores per batch. */
  async interceptBatch(info: BatchInfo, next: () => Promise<BatchOutcome>): Promise<BatchOutcome> {
    const slot = this.#slots.get(info.node.name);
    if (slot === undefined) return next();
    Atomics.store(this.#shared, SLOT0 + slot, BigInt(Date.now()));
    try {
      return await next();
    } finally {
      Atomics.store(this.#shared, SLOT0 + slot, 0n);
    }
  }

  #fail(reason: string): void {
    if (this.#failed || this.#closing) return;
    this.#failed = true;
    this.#events.failed(reason);
  }

  #tick(): void {
    Atomics.store(this.#shared, TICK, BigInt(Date.now()));
    this.#ticks += 1;
    if (this.#ticks % this.#statusEveryTicks === 0 && !this.#closing)
      this.#post({ type: 'status', nodes: this.#statuses() });
    if (this.#queuesEveryTicks > 0 && this.#ticks % this.#queuesEveryTicks === 0)
      this.#postQueueCounts();
  }

  /** Reads the queue counts off the tick (they are async) and hands them to the thread for the next heartbeats. */
  #postQueueCounts(): void {
    if (this.#queueCounts === undefined || this.#closing) return;
    this.#queueCounts().then(
      (queues) => {
        if (queues !== undefined && !this.#closing) this.#post({ type: 'queues', queues });
      },
      (error: unknown) =>
        this.#log.debug({ error: describeError(error) }, 'queue counts could not be read'),
    );
  }

  #post(message: ToLink): void {
    if (!this.#exited) this.#thread.postMessage(message);
  }

  #onThreadMessage(message: FromLink): void {
    switch (message.type) {
      case 'message':
        return this.#events.message(message.message);
      case 'state':
        // Statuses twice per heartbeat: fresh enough, and no work per tick beyond the clock.
        this.#statusEveryTicks = Math.max(1, Math.floor(message.heartbeatIntervalMs / 2 / TICK_MS));
        this.#queuesEveryTicks = Math.max(1, Math.floor(message.heartbeatIntervalMs / TICK_MS));
        return this.#events.state(message.state, message.masterEpoch);
      case 'sent': {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error === undefined) pending?.resolve();
        else pending?.reject(new Error(message.error));
        return;
      }
      case 'log':
        return this.#log[message.level](message.fields, message.msg);
      case 'stall':
        return this.#events.stall(message.blockedMs, message.nodes);
      case 'refused':
        return this.#events.refused(message.code, message.reason);
      case 'failed':
        return this.#fail(message.reason);
      case 'closed':
        return;
    }
  }
}
