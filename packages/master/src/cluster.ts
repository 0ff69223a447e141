/**
 * The master's picture of the cluster, and nothing but state: registered workers, the recipe of every node type any
 * worker has offered, the desired node count per type, and counters. No sockets and no timers, so every rule here is
 * testable on its own; master.ts feeds it messages and acts on what it answers.
 */
import { freshNodeStatus } from '@monomyth/mmop';
import type { MessageOf, NodeStatus, Recipe, RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { queueBacklog } from './queue-backlog.js';
import type { QueueBacklog } from './queue-backlog.js';
import { WorkerRecord } from './worker-record.js';
import { copyNodeStatus } from './node-status-copy.js';
import { tallyTypes } from './type-tally.js';
import type { TypeTally } from './type-tally.js';

export interface TypeCounters {
  /** Nodes that stopped on request, and nodes that finished their work (a generator that ran out). */
  completed: number;
  /** Starts that did not succeed (refused, timed out, not sent, worker lost) and nodes that exited for good. */
  failed: number;
}

/** How many start times of lost workers' nodes the master remembers. */
const MAX_REMEMBERED_NODES = 10_000;

export class Cluster {
  readonly #workers = new Map<string, WorkerRecord>();
  readonly #byIdentity = new Map<string, WorkerRecord>();
  /** Every node type ever offered by a worker, with the recipe first offered: survives the workers that offered it. */
  readonly #catalog = new Map<string, Recipe>();
  readonly #desired = new Map<string, number>();
  /** The registered workers that offer each type: placement looks at these, not at every worker, per type. */
  readonly #offering = new Map<string, Set<WorkerRecord>>();
  /** Types whose desired count a READY in the recovery window is to raise to what runs: see #learn. */
  readonly #toLearn = new Set<string>();
  readonly #counters = new Map<string, TypeCounters>();
  /**
   * When the nodes of removed workers started, by node name: a lost worker that comes back (it was paused, or cut off)
   * lists the same nodes, and they keep their age, so the nodes placed in their stead are the newest. Bounded.
   */
  readonly #startedAt = new Map<string, number>();
  /**
   * The lag of workers removed while stalled (past the stall limit), by id: one that registers again while still
   * blocked is known as stalled from its READY on, before its first heartbeat says so, so its nodes are the ones
   * drained as surplus rather than those placed in their stead. Taken on registration; bounded.
   */
  readonly #stalledWhenRemoved = new Map<string, { lagMs: number; at: number }>();

  workers(): IterableIterator<WorkerRecord> {
    return this.#workers.values();
  }

  /** The registered workers whose system offers `type`. */
  offering(type: string): Iterable<WorkerRecord> {
    return this.#offering.get(type) ?? [];
  }

  #unlistOffers(worker: WorkerRecord): void {
    for (const type of worker.recipes.keys()) {
      const offering = this.#offering.get(type);
      offering?.delete(worker);
      if (offering?.size === 0) this.#offering.delete(type);
    }
  }

  get workerCount(): number {
    return this.#workers.size;
  }

  worker(id: string): WorkerRecord | undefined {
    return this.#workers.get(id);
  }

  workerByIdentity(identity: Buffer): WorkerRecord | undefined {
    return this.#byIdentity.get(identity.toString('latin1'));
  }

  recipe(type: string): Recipe | undefined {
    return this.#catalog.get(type);
  }

  knownTypes(): string[] {
    return [...this.#catalog.keys()].sort();
  }

  /**
   * READY: a worker registers, or registers again (it lost its master, was declared lost, or the master restarted).
   * Its running nodes are taken as they are. With `learnDesired` (a master just restarted, within its recovery window)
   * the desired count of each type is raised to at least what runs, so the restarted master keeps what the cluster was
   * running; otherwise desired counts stay as requests set them, and what runs beyond them is surplus to drain.
   */
  register(
    ready: MessageOf<'READY'>,
    identity: Buffer,
    now: number,
    learnDesired: boolean,
  ): { worker: WorkerRecord; again: boolean } {
    const previous = this.#workers.get(ready.workerId);
    if (previous) this.#byIdentity.delete(previous.identity.toString('latin1'));
    const worker =
      previous ??
      new WorkerRecord(ready.workerId, identity, ready.host, ready.pid, ready.capacity, now);
    worker.identity = identity;
    worker.host = ready.host;
    worker.pid = ready.pid;
    worker.capacity = ready.capacity;
    worker.lastSeenAt = now;
    worker.registeredAt = now;
    worker.lastHeartbeat = undefined;
    const stalled = this.#stalledWhenRemoved.get(worker.id);
    this.#stalledWhenRemoved.delete(worker.id);
    // Registering says nothing of its event loop: a known worker keeps its lag; one removed while stalled is assumed
    // to be stalled still, until its first heartbeat says otherwise.
    if (!previous) worker.lagMs = stalled ? stalled.lagMs + (now - stalled.at) : 0;
    this.#unlistOffers(worker);
    worker.recipes.clear();
    for (const recipe of ready.recipes) {
      worker.recipes.set(recipe.type, recipe);
      if (!this.#catalog.has(recipe.type)) this.#catalog.set(recipe.type, recipe);
      let offering = this.#offering.get(recipe.type);
      if (!offering) this.#offering.set(recipe.type, (offering = new Set()));
      offering.add(worker);
    }
    const before = new Map(worker.nodes);
    worker.nodes.clear();
    worker.stopping.clear();
    for (const node of ready.nodes) {
      worker.nodes.set(node.name, {
        name: node.name,
        type: node.type,
        status: undefined,
        startedAt: before.get(node.name)?.startedAt ?? this.#takeStartedAt(node.name, now),
      });
      if (!this.#catalog.has(node.type)) this.#catalog.set(node.type, node.recipe);
    }
    this.#workers.set(worker.id, worker);
    this.#byIdentity.set(identity.toString('latin1'), worker);
    // Raised on the next read of the desired counts, in one count for every READY since: counting a type's running
    // nodes on each READY cost a pass over every worker per READY (10^9 steps while 10,000 workers registered).
    if (learnDesired) for (const node of ready.nodes) this.#toLearn.add(node.type);
    return { worker, again: previous !== undefined || ready.nodes.length > 0 };
  }

  /** HEARTBEAT: the worker's full list of nodes replaces what the master had; its lag is noted. */
  heartbeat(worker: WorkerRecord, nodes: readonly NodeStatus[], lagMs: number, now: number): void {
    worker.lastSeenAt = now;
    worker.lagMs = lagMs;
    if (sameNodes(worker, nodes)) {
      // The usual heartbeat: the same nodes, new counters. Only the statuses change, nothing is allocated or kept.
      for (const status of nodes) {
        const record = worker.nodes.get(status.name);
        if (record) record.status = record.status ? copyNodeStatus(record.status, status) : status;
      }
      return;
    }
    const before = new Map(worker.nodes);
    worker.nodes.clear();
    for (const status of nodes) {
      worker.nodes.set(status.name, {
        name: status.name,
        type: status.type,
        status,
        startedAt: before.get(status.name)?.startedAt ?? this.#takeStartedAt(status.name, now),
      });
    }
    for (const name of worker.stopping) if (!worker.nodes.has(name)) worker.stopping.delete(name);
  }

  /**
   * The backlog of every queue the workers report (the source queues of the nodes they run, and of the types they offer), from their latest
   * heartbeats: ready and consumers from the newest report, unacked summed over workers (queue-backlog.ts).
   */
  queueBacklog(): Map<string, QueueBacklog> {
    return queueBacklog([...this.#workers.values()].map((worker) => worker.queueReport));
  }

  /**
   * A node type's backlog: its source queue's counts (`ready + unacked` is the work not yet done), or undefined for
   * a generator, a type no worker offered, or a queue no heartbeat has reported yet.
   */
  backlogOf(type: string, backlog = this.queueBacklog()): QueueBacklog | undefined {
    const source = this.#catalog.get(type)?.source;
    return typeof source === 'string' ? backlog.get(source) : undefined;
  }

  /** Removes a worker (lost, left, or stalled past the limit); `livenessWindowMs` tells whether it was stalled. */
  remove(worker: WorkerRecord, livenessWindowMs: number): void {
    if (this.#workers.get(worker.id) !== worker) return;
    this.#workers.delete(worker.id);
    this.#byIdentity.delete(worker.identity.toString('latin1'));
    this.#unlistOffers(worker);
    for (const node of worker.nodes.values()) this.#startedAt.set(node.name, node.startedAt);
    if (worker.stalled(livenessWindowMs)) {
      this.#stalledWhenRemoved.set(worker.id, { lagMs: worker.lagMs, at: worker.lastSeenAt });
      for (const id of this.#stalledWhenRemoved.keys()) {
        if (this.#stalledWhenRemoved.size <= MAX_REMEMBERED_NODES) break;
        this.#stalledWhenRemoved.delete(id);
      }
    }
    // Keep the memory bounded: the oldest entries (insertion order) go first.
    for (const name of this.#startedAt.keys()) {
      if (this.#startedAt.size <= MAX_REMEMBERED_NODES) break;
      this.#startedAt.delete(name);
    }
  }

  nodeStarted(worker: WorkerRecord, type: string, nodeName: string, now: number): void {
    // The master's list now differs from what the worker last said: its next heartbeat is taken in in full.
    worker.lastHeartbeat = undefined;
    const known = worker.nodes.get(nodeName);
    worker.nodes.set(nodeName, {
      name: nodeName,
      type,
      status: known?.status,
      startedAt: known?.startedAt ?? now,
    });
  }

  #takeStartedAt(nodeName: string, now: number): number {
    const remembered = this.#startedAt.get(nodeName);
    this.#startedAt.delete(nodeName);
    return remembered ?? now;
  }

  nodeGone(worker: WorkerRecord, nodeName: string): string | undefined {
    worker.lastHeartbeat = undefined;
    const node = worker.nodes.get(nodeName);
    worker.nodes.delete(nodeName);
    worker.stopping.delete(nodeName);
    return node?.type;
  }

  /** The worker running a node, by the node's name. */
  findNode(nodeName: string): WorkerRecord | undefined {
    for (const worker of this.#workers.values()) if (worker.nodes.has(nodeName)) return worker;
    return undefined;
  }

  desired(type: string): number {
    this.#learn();
    return this.#desired.get(type) ?? 0;
  }

  /** Raises the desired count of each type READYs in the recovery window brought to at least what runs of it now. */
  #learn(): void {
    if (this.#toLearn.size === 0) return;
    const tallies = tallyTypes(this.#workers.values(), this.#offering);
    for (const type of this.#toLearn) {
      const running = tallies.get(type)?.running ?? 0;
      this.#desired.set(type, Math.max(this.#desired.get(type) ?? 0, running));
    }
    this.#toLearn.clear();
  }

  /** Every type with a desired count set (0 included, once set), for the state file. */
  desiredCounts(): ReadonlyMap<string, number> {
    this.#learn();
    return this.#desired;
  }

  changeDesired(type: string, delta: number): void {
    this.#desired.set(type, Math.max(0, this.desired(type) + delta));
  }

  count(type: string, counter: keyof TypeCounters, delta = 1): void {
    const counters = this.#counters.get(type) ?? { completed: 0, failed: 0 };
    counters[counter] += delta;
    this.#counters.set(type, counters);
  }

  running(type: string): number {
    let total = 0;
    for (const worker of this.#workers.values()) total += worker.runningOf(type);
    return total;
  }

  outstanding(type: string): number {
    let total = 0;
    for (const worker of this.#workers.values()) total += worker.outstandingOf(type);
    return total;
  }

  /** Per type, what runs, stops, starts and offers it: one pass over every worker's nodes (type-tally.ts). */
  tally(): Map<string, TypeTally> {
    return tallyTypes(this.#workers.values(), this.#offering);
  }

  /**
   * Types with fewer nodes running or starting than desired, and how many are missing. `tallies` from `tally()`, so
   * one pass serves this and `surpluses` (starts placed in between change neither's figures for the other).
   */
  deficits(tallies = this.tally()): Map<string, number> {
    const missing = new Map<string, number>();
    this.#learn();
    for (const [type, desired] of this.#desired) {
      const tally = tallies.get(type);
      const short = desired - (tally ? tally.running + tally.outstanding : 0);
      if (short > 0) missing.set(type, short);
    }
    return missing;
  }

  /** Types with more nodes running (and not already being stopped) than desired, and how many too many. */
  surpluses(tallies = this.tally()): Map<string, number> {
    const extra = new Map<string, number>();
    for (const [type, tally] of tallies) {
      const over = tally.running - tally.stopping - this.desired(type);
      if (over > 0) extra.set(type, over);
    }
    return extra;
  }

  /** Workers silent for longer than `maxSilenceMs`. */
  silentWorkers(now: number, maxSilenceMs: number): WorkerRecord[] {
    return [...this.#workers.values()].filter((worker) => now - worker.lastSeenAt > maxSilenceMs);
  }

  /** The workers as WORKER-INFO reports them; a worker whose lag exceeds the liveness window is `stalled`. */
  workerInfo(
    now: number,
    livenessWindowMs: number,
    workers: Iterable<WorkerRecord> = this.#workers.values(),
  ): WorkerInfo[] {
    return [...workers].map((worker) => ({
      workerId: worker.id,
      host: worker.host,
      pid: worker.pid,
      capacity: worker.capacity,
      state: worker.stalled(livenessWindowMs) ? 'stalled' : worker.state,
      lastSeenMsAgo: Math.max(0, now - worker.lastSeenAt),
      eventLoopLagMs: worker.lagMs,
      types: [...worker.recipes.keys()].sort(),
      nodes: [...worker.nodes.values()].map(
        (node) => node.status ?? placeholderStatus(node.name, node.type),
      ),
    }));
  }

  recipeInfo(): RecipeInfo[] {
    const types = new Set([...this.#catalog.keys(), ...this.#desired.keys()]);
    const tallies = tallyTypes(this.#workers.values(), this.#offering);
    const queues = this.queueBacklog();
    return [...types].sort().map((type) => {
      const tally = tallies.get(type);
      const counters = this.#counters.get(type);
      const backlog = this.backlogOf(type, queues);
      return {
        type,
        desired: this.desired(type),
        running: tally?.running ?? 0,
        outstanding: tally?.outstanding ?? 0,
        completed: counters?.completed ?? 0,
        failed: counters?.failed ?? 0,
        workers: tally?.offering ?? 0,
        ...(backlog && { backlog: { ready: backlog.ready, unacked: backlog.unacked } }),
      };
    });
  }
}

/**
 * Whether a heartbeat lists exactly the nodes the master has for the worker (same names, same types, none twice), so
 * that only their statuses need replacing. Longer lists take the general path rather than a quadratic check.
 */
function sameNodes(worker: WorkerRecord, nodes: readonly NodeStatus[]): boolean {
  if (nodes.length !== worker.nodes.size || nodes.length > 32) return false;
  for (let i = 0; i < nodes.length; i++) {
    const status = nodes[i];
    if (!status || worker.nodes.get(status.name)?.type !== status.type) return false;
    for (let j = 0; j < i; j++) if (nodes[j]?.name === status.name) return false;
  }
  return true;
}

/** A node the master knows of (from START-NODE-SUCCESS or READY) before any heartbeat has described it. */
function placeholderStatus(name: string, type: string): NodeStatus {
  return freshNodeStatus(name, type, 'starting');
}
