/**
 * What the master knows of one registered worker: where to reach it, what it can run, the nodes it runs, the starts
 * it has been asked for and not yet answered, when it was last heard from, and how long its event loop had not
 * answered when it last said (a worker whose loop is blocked heartbeats on from a thread of its own: `stalled`).
 */
import type { NodeStatus, QueueCounts, Recipe } from '@monomyth/mmop';
import type { QueueReport } from './queue-backlog.js';
import type { RememberedHeartbeat } from './repeated-heartbeat.js';

export type WorkerState = 'active' | 'draining';

export interface NodeRecord {
  readonly name: string;
  readonly type: string;
  /** The latest status from a heartbeat; undefined until the first heartbeat that lists the node. */
  status: NodeStatus | undefined;
  /** When this master first knew it to run (its start, or when a worker first reported it): surplus goes newest first. */
  readonly startedAt: number;
}

export class WorkerRecord {
  readonly id: string;
  /** The ROUTER identity that reaches this worker. */
  identity: Buffer;
  /** The process instance its routing id carries (undefined for ids of other shapes): its new sockets share it. */
  instance: string | undefined;
  /** The CURVE key (Z85) it registered with; undefined without security. */
  publicKey: string | undefined;
  host: string;
  pid: number;
  capacity: number;
  state: WorkerState = 'active';
  /** Node types this worker's system can run, with its recipe for each. */
  readonly recipes = new Map<string, Recipe>();
  readonly nodes = new Map<string, NodeRecord>();
  /** Starts sent and not yet answered, per node type. */
  readonly outstanding = new Map<string, number>();
  /** Node types that recently failed to start or crash-looped here, and until when to prefer other workers. */
  readonly avoid = new Map<string, number>();
  lastSeenAt: number;
  /** When it last registered (READY). */
  registeredAt: number;
  /** The event loop lag its last heartbeat reported. */
  lagMs = 0;
  /**
   * The counts of its nodes' source queues its last heartbeat carried, and when: empty until one carries them (a
   * worker whose adapter cannot report them never does). See queue-backlog.ts for how reports are combined.
   */
  queueReport: QueueReport = { queues: [], at: 0 };
  /** Nodes a STOP-NODE was sent for and not yet answered: not counted again as surplus. */
  readonly stopping = new Set<string>();
  /** When a node was last assigned here: the scheduler's last tie-break prefers the longest idle. */
  lastAssignedAt = 0;
  /**
   * The body of the last heartbeat taken in, so that one repeating it need not be decoded (repeated-heartbeat.ts);
   * undefined until one is, and again whenever the master changes its list of the worker's nodes itself.
   */
  lastHeartbeat: RememberedHeartbeat | undefined = undefined;

  constructor(
    id: string,
    identity: Buffer,
    host: string,
    pid: number,
    capacity: number,
    now: number,
  ) {
    this.id = id;
    this.identity = identity;
    this.instance = undefined;
    this.publicKey = undefined;
    this.host = host;
    this.pid = pid;
    this.capacity = capacity;
    this.lastSeenAt = now;
    this.registeredAt = now;
  }

  /** Its event loop has not answered for longer than the liveness window: it keeps its nodes but gets no new ones. */
  stalled(livenessWindowMs: number): boolean {
    return this.lagMs > livenessWindowMs;
  }

  /** Since when it has been stalled, as far as this master can tell (not before it registered here). */
  stalledSince(): number {
    return Math.max(this.registeredAt, this.lastSeenAt - this.lagMs);
  }

  /** A heartbeat's queue counts; a heartbeat without them keeps the last (its adapter could not read them just now). */
  noteQueues(queues: readonly QueueCounts[] | undefined, now: number): void {
    if (queues !== undefined) this.queueReport = { queues, at: now };
  }

  canRun(type: string): boolean {
    return this.recipes.has(type);
  }

  runningOf(type: string): number {
    let count = 0;
    for (const node of this.nodes.values()) if (node.type === type) count += 1;
    return count;
  }

  outstandingOf(type: string): number {
    return this.outstanding.get(type) ?? 0;
  }

  /** Running nodes plus starts not yet answered, of every type. */
  load(): number {
    let total = this.nodes.size;
    for (const count of this.outstanding.values()) total += count;
    return total;
  }

  addOutstanding(type: string, delta: number): void {
    const next = this.outstandingOf(type) + delta;
    if (next > 0) this.outstanding.set(type, next);
    else this.outstanding.delete(type);
  }

  avoids(type: string, now: number): boolean {
    const until = this.avoid.get(type);
    if (until === undefined) return false;
    if (until > now) return true;
    this.avoid.delete(type);
    return false;
  }
}
