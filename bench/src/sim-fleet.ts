/**
 * Simulated workers for the scale scenario of `pnpm bench orchestration` (and its smaller form in the master's tests):
 * one DEALER each, speaking MMOP/1 as a worker does, with no adapter and no node code. Each registers with a few
 * nodes already running, heartbeats on its own phase of the interval (as real workers, started at different times, do),
 * answers START-NODE and STOP-NODE at once (the node is added to or taken from what it reports), and registers again
 * when the master says it does not know it. Many share one process and one ZeroMQ context.
 */
import { Context, Dealer } from 'zeromq';
import { MmopCodec, OrderedSender, freshNodeStatus } from '@monomyth/mmop';
import type { MessageOf, MmopMessage, NodeStatus } from '@monomyth/mmop';

/**
 * What a fleet's nodes do, and so what their heartbeats say. `idle`: nothing; each worker repeats its last heartbeat.
 * `busy`: they move messages, and every heartbeat reports higher counters (as a worker does for a master that wants
 * counters in every heartbeat, the default). `busy-at-interval`: the same, with new counters only as often as the
 * master's countersIntervalMs asks and the last heartbeat repeated in between (as a worker does).
 */
export type FleetLoad = 'idle' | 'busy' | 'busy-at-interval';

export interface FleetOptions {
  readonly endpoint: string;
  /** The index of this fleet's first worker: ids are `sim-<index>`, unique across fleets. */
  readonly first: number;
  readonly count: number;
  /** Node types in the whole cluster (`T0`...); each worker offers `nodesPerWorker` of them, and runs one of each. */
  readonly typeCount: number;
  /** @default 8 */
  readonly nodesPerWorker?: number;
  /** A type every worker offers and runs none of, for placement: @default 'PLACE' */
  readonly placeType?: string;
  /** @default 32 */
  readonly capacity?: number;
  /** @default 1000 */
  readonly heartbeatMs?: number;
}

interface SimWorker {
  readonly id: string;
  readonly dealer: Dealer;
  readonly sender: OrderedSender;
  readonly nodes: NodeStatus[];
  readonly ready: MessageOf<'READY'>;
  epoch: string;
  registered: boolean;
  alive: boolean;
  /** When the heartbeat now waiting for its ack was sent (performance.now()), or -1. */
  sentAt: number;
  /** The HEARTBEAT frames, encoded once per epoch and node list (see #tick). */
  heartbeat: Buffer[] | undefined;
  /** REGISTERED's countersIntervalMs (0 when absent: every heartbeat), and when counters were last reported. */
  countersIntervalMs: number;
  countersAt: number;
  starts: number;
}

/** How often the fleet's ticker runs: each tick heartbeats the workers whose phase falls in it. */
const TICK_MS = 10;
/** The kind frame of HEARTBEAT-ACK, compared before decoding: acks are most of what the fleet receives. */
const HEARTBEAT_ACK = Buffer.from('HEARTBEAT-ACK');

export class SimulatedFleet {
  readonly #codec = new MmopCodec();
  readonly #workers: SimWorker[] = [];
  readonly #context: Context;
  readonly #heartbeatMs: number;
  #ticker: NodeJS.Timeout | undefined;
  #cursor = 0;
  #lastTick = 0;
  /** Heartbeats due and not yet sent (a fraction carries over to the next tick). */
  #due = 0;
  #measuring = false;
  #load: FleetLoad = 'idle';
  #registered = 0;
  #onRegistered: (() => void) | undefined;
  /** Heartbeat-to-ack latencies (ms) recorded while measuring. */
  readonly latencies: number[] = [];
  /** START-NODEs received since the last resetStarts(). */
  startsReceived = 0;
  lastStartAt = 0;

  constructor(options: FleetOptions) {
    const perWorker = options.nodesPerWorker ?? 8;
    const placeType = options.placeType ?? 'PLACE';
    this.#heartbeatMs = options.heartbeatMs ?? 1000;
    // Every socket counts against the context's limit (1023 by default), and each is a file descriptor or two.
    this.#context = new Context({ maxSockets: options.count + 64 });
    for (let i = options.first; i < options.first + options.count; i++) {
      const id = `sim-${i}`;
      const types = Array.from(
        { length: perWorker },
        (_, k) => `T${(i * perWorker + k) % options.typeCount}`,
      );
      const nodes = types.map((type, k) => freshNodeStatus(`${type}:${id}-${k}`, type, 'running'));
      const dealer = new Dealer({ context: this.#context, linger: 0, routingId: id });
      dealer.connect(options.endpoint);
      const worker: SimWorker = {
        id,
        dealer,
        sender: new OrderedSender((frames) => dealer.send(frames)),
        nodes,
        ready: {
          kind: 'READY',
          workerId: id,
          host: 'sim',
          pid: i,
          capacity: options.capacity ?? 32,
          recipes: [...types, placeType].map((type) => ({ type })),
          nodes: nodes.map((node) => ({
            name: node.name,
            type: node.type,
            recipe: { type: node.type },
          })),
        },
        epoch: '',
        registered: false,
        alive: true,
        sentAt: -1,
        heartbeat: undefined,
        countersIntervalMs: 0,
        countersAt: 0,
        starts: 0,
      };
      this.#workers.push(worker);
    }
  }

  get registered(): number {
    return this.#registered;
  }

  /** Sends every READY (50 per tick, as a fleet coming up over a few seconds would) and starts heartbeating. */
  async start(): Promise<void> {
    for (const worker of this.#workers) void this.#serve(worker);
    for (let i = 0; i < this.#workers.length; i++) {
      const worker = this.#workers[i]!;
      this.#send(worker, worker.ready);
      if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Resolves once every live worker has had REGISTERED. */
  whenRegistered(): Promise<void> {
    if (this.#registered >= this.#workers.length) return Promise.resolve();
    return new Promise((resolve) => (this.#onRegistered = resolve));
  }

  /** Records heartbeat-to-ack latencies from now on (`true`), or stops (`false`). */
  measure(on: boolean): void {
    this.#measuring = on;
  }

  /** What the workers' nodes do from now on, and so what their heartbeats say (FleetLoad). */
  load(load: FleetLoad): void {
    this.#load = load;
    if (load !== 'busy-at-interval') return;
    // Workers report counters each on its own schedule (they registered and changed at different times): spread the
    // last reports over an interval, rather than have every worker report in the same second.
    const now = performance.now();
    this.#workers.forEach((worker, i) => {
      worker.countersAt = now - (((i * 7919) % 1000) / 1000) * worker.countersIntervalMs;
    });
  }

  resetStarts(): void {
    this.startsReceived = 0;
    this.lastStartAt = 0;
  }

  /** Nodes each worker runs now, summed. */
  nodeCount(): number {
    let total = 0;
    for (const worker of this.#workers) if (worker.alive) total += worker.nodes.length;
    return total;
  }

  /** The first `count` live workers go silent at once, as processes that crash: their sockets close. */
  kill(count: number): void {
    let killed = 0;
    for (const worker of this.#workers) {
      if (killed === count) break;
      if (!worker.alive) continue;
      worker.alive = false;
      worker.sender.close();
      worker.dealer.close();
      killed += 1;
    }
  }

  close(): void {
    clearInterval(this.#ticker);
    for (const worker of this.#workers) {
      if (!worker.alive) continue;
      worker.alive = false;
      worker.sender.close();
      worker.dealer.close();
    }
  }

  #send(worker: SimWorker, message: MmopMessage): void {
    if (!worker.alive) return;
    worker.sender.send(this.#codec.encode(message)).catch(() => {});
  }

  /**
   * Heartbeats the workers whose phase has come since the last tick: each worker once per interval, spread over it.
   * Counted from the time that passed, not the ticks, so a late timer (a busy machine) does not stretch the interval.
   * An idle worker's heartbeat is encoded again only when its epoch or its node list changes (its counters stay as
   * they were), so the fleet spends its share of the machine on the sockets, not on msgpack: the figures are the
   * master's. A busy worker's heartbeat is encoded anew whenever it reports new counters (FleetLoad).
   */
  #tick(): void {
    const now = performance.now();
    if (this.#lastTick === 0) this.#lastTick = now;
    this.#due += (this.#workers.length * (now - this.#lastTick)) / this.#heartbeatMs;
    this.#lastTick = now;
    const count = Math.min(Math.floor(this.#due), this.#workers.length);
    this.#due -= count;
    for (let n = 0; n < count; n++) {
      const worker = this.#workers[this.#cursor]!;
      this.#cursor = (this.#cursor + 1) % this.#workers.length;
      if (!worker.alive || !worker.registered) continue;
      if (this.#countersDue(worker, now)) {
        advance(worker.nodes);
        worker.heartbeat = undefined;
        worker.countersAt = now;
      }
      worker.heartbeat ??= this.#codec.encode({
        kind: 'HEARTBEAT',
        masterEpoch: worker.epoch,
        nodes: worker.nodes,
      });
      worker.sentAt = performance.now();
      worker.sender.send(worker.heartbeat).catch(() => {});
    }
  }

  /** Whether this heartbeat carries new counters (a worker does as its REGISTERED's countersIntervalMs says). */
  #countersDue(worker: SimWorker, now: number): boolean {
    if (this.#load === 'idle') return false;
    if (this.#load === 'busy') return true;
    return now - worker.countersAt >= worker.countersIntervalMs - this.#heartbeatMs / 2;
  }

  async #serve(worker: SimWorker): Promise<void> {
    try {
      for await (const frames of worker.dealer) {
        if (frames[1]?.equals(HEARTBEAT_ACK)) this.#acked(worker);
        else this.#onMessage(worker, this.#codec.decode(frames));
      }
    } catch {
      // Closed (killed, or the fleet closed).
    }
  }

  #acked(worker: SimWorker): void {
    if (this.#measuring && worker.sentAt >= 0)
      this.latencies.push(performance.now() - worker.sentAt);
    worker.sentAt = -1;
  }

  #onMessage(worker: SimWorker, message: MmopMessage): void {
    switch (message.kind) {
      case 'REGISTERED':
        worker.epoch = message.masterEpoch;
        worker.countersIntervalMs = message.countersIntervalMs ?? 0;
        worker.heartbeat = undefined;
        if (!worker.registered) {
          worker.registered = true;
          this.#registered += 1;
          if (this.#registered >= this.#workers.length) this.#onRegistered?.();
        }
        return;
      case 'HEARTBEAT-ACK':
        return this.#acked(worker);
      case 'START-NODE': {
        const type = message.recipe.type;
        const nodeName = `${type}:${worker.id}-s${(worker.starts += 1)}`;
        worker.nodes.push(freshNodeStatus(nodeName, type, 'running'));
        worker.heartbeat = undefined;
        this.startsReceived += 1;
        this.lastStartAt = performance.now();
        this.#send(worker, {
          kind: 'START-NODE-SUCCESS',
          requestId: message.requestId,
          type,
          nodeName,
        });
        return;
      }
      case 'STOP-NODE': {
        const at = worker.nodes.findIndex((node) => node.name === message.nodeName);
        if (at >= 0) worker.nodes.splice(at, 1);
        worker.heartbeat = undefined;
        this.#send(worker, {
          kind: 'STOP-NODE-SUCCESS',
          requestId: message.requestId,
          nodeName: message.nodeName,
        });
        return;
      }
      case 'ERROR':
        // Not known (lost, or a master that restarted): register again, as a worker does.
        if (message.code === 'NOT_REGISTERED') {
          const nodes = worker.nodes.map((node) => ({
            name: node.name,
            type: node.type,
            recipe: { type: node.type },
          }));
          this.#send(worker, { ...worker.ready, nodes });
        }
        return;
      default:
    }
  }
}

/** Each of a busy worker's nodes took a batch of 10 since its last heartbeat, as a real node reports it. */
function advance(nodes: NodeStatus[]): void {
  for (const node of nodes) {
    node.processed += 10;
    node.published = (node.published ?? 0) + 10;
    node.batches += 1;
    node.inFlight = 10;
    node.latencyP50Ms = 3.2;
    node.latencyP99Ms = 12.8;
  }
}
