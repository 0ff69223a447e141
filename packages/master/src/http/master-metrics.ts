/**
 * The master's Prometheus metrics: Node's default process metrics, and the cluster's, prefixed `monomyth_` and labelled
 * by node `type` (by `worker` for per-worker gauges, by `queue` for queue depth), never by node instance or message, so
 * the number of series stays bounded by the system and the workers online. Everything is read into prom-client on a
 * scrape (`collect()`), from the master's own state and the totals MasterStats accumulates from heartbeats: between
 * scrapes the metrics cost nothing.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ClusterSource } from './cluster-snapshot.js';
import type { MasterStats, TypeTotals } from './master-stats.js';

/** Every metric of the master's own starts with this (the same names as the worker's, where they mean the same). */
export const METRIC_PREFIX = 'monomyth_';

const MESSAGE_COUNTERS = [
  [
    'received',
    'Messages taken from the source queue and settled (processed, failed or retried), from heartbeats.',
  ],
  [
    'processed',
    'Source messages done with, from the workers heartbeats (generator: values published).',
  ],
  ['failed', 'Messages sent to the fail queue, from the workers heartbeats.'],
  ['retried', 'Failed attempts scheduled for another attempt, from the workers heartbeats.'],
  ['published', 'Output messages published, from the workers heartbeats.'],
] as const satisfies readonly (readonly [keyof TypeTotals, string])[];

export interface MasterMetricsOptions {
  /** Also register Node's default process metrics (CPU, memory, event loop, GC). @default true */
  readonly defaultMetrics?: boolean;
}

/** Reads through `read` once per scrape (`scrape` counts them): what one scrape's metrics share. */
function perScrape<T>(scrape: () => number, read: () => T): () => T {
  let readAt = -1;
  let value: T | undefined;
  return () => {
    if (value === undefined || readAt !== scrape()) {
      value = read();
      readAt = scrape();
    }
    return value;
  };
}

export class MasterMetrics {
  readonly registry = new Registry();
  #scrapes = 0;

  constructor(live: ClusterSource, stats: MasterStats, options: MasterMetricsOptions = {}) {
    // One scrape reads the workers and types once, not once per metric: each read walks every worker.
    const scrape = (): number => this.#scrapes;
    const source = {
      workers: perScrape(scrape, () => live.workers()),
      recipes: perScrape(scrape, () => live.recipes()),
      queueBacklog: perScrape(scrape, () => live.queueBacklog()),
    };
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const types = (): string[] => source.recipes().map((info) => info.type);
    for (const [field, help] of MESSAGE_COUNTERS) {
      new Counter({
        name: `${p}messages_${field}_total`,
        help,
        labelNames: ['type'],
        registers,
        collect() {
          this.reset();
          for (const type of types()) this.inc({ type }, stats.totalsOf(type)[field]);
        },
      });
    }
    new Counter({
      name: `${p}node_restarts_total`,
      help: 'Nodes built again inside their worker after a failure, from heartbeats.',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const type of types()) this.inc({ type }, stats.totalsOf(type).restarts);
      },
    });
    new Counter({
      name: `${p}worker_losses_total`,
      help: 'Workers the master took off: silent past the liveness window, or stalled past the stall limit.',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(stats.workerLosses))
          this.inc({ reason }, count);
      },
    });
    new Counter({
      name: `${p}mmop_frames_received_total`,
      help: 'MMOP messages the master received (every frame set its socket delivered).',
      registers,
      collect() {
        this.reset();
        this.inc(stats.framesReceived);
      },
    });
    new Counter({
      name: `${p}mmop_frames_malformed_total`,
      help: 'Frame sets that did not decode as MMOP/1 (logged, rate-limited; answered with ERROR where possible).',
      registers,
      collect() {
        this.reset();
        this.inc(stats.framesMalformed);
      },
    });
    new Counter({
      name: `${p}mmop_heartbeats_repeated_total`,
      help: "HEARTBEATs that repeated their worker's last one byte for byte (idle workers), answered without decoding.",
      registers,
      collect() {
        this.reset();
        this.inc(stats.heartbeatsRepeated);
      },
    });
    new Gauge({
      name: `${p}workers_online`,
      help: 'Workers registered now, by state (active, draining, stalled).',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const state of ['active', 'draining', 'stalled']) this.set({ state }, 0);
        for (const worker of source.workers()) this.inc({ state: worker.state });
      },
    });
    const nodeGauge = (
      name: string,
      help: string,
      read: (info: ReturnType<typeof source.recipes>[number]) => number,
    ) =>
      new Gauge({
        name: `${p}nodes_${name}`,
        help,
        labelNames: ['type'],
        registers,
        collect() {
          this.reset();
          for (const info of source.recipes()) this.set({ type: info.type }, read(info));
        },
      });
    nodeGauge('desired', 'Nodes the master keeps running per type.', (info) => info.desired);
    nodeGauge(
      'running',
      'Nodes running per type, as the workers report them.',
      (info) => info.running,
    );
    nodeGauge(
      'starting',
      'Starts sent and not yet answered, per type.',
      (info) => info.outstanding,
    );
    new Gauge({
      name: `${p}messages_in_flight`,
      help: 'Messages the nodes hold unacknowledged now (batches in flight, held retries), from heartbeats.',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const type of types()) this.set({ type }, 0);
        for (const worker of source.workers())
          for (const node of worker.nodes) this.inc({ type: node.type }, node.inFlight);
      },
    });
    const queueGauge = (
      name: string,
      help: string,
      read: (entry: { ready: number; unacked: number; consumers: number }) => number,
    ) =>
      new Gauge({
        name: `${p}queue_${name}`,
        help,
        labelNames: ['queue'],
        registers,
        collect() {
          this.reset();
          for (const entry of source.queueBacklog()) this.set({ queue: entry.queue }, read(entry));
        },
      });
    queueGauge(
      'messages_ready',
      'Messages waiting in a source queue, as the workers last reported.',
      (e) => e.ready,
    );
    queueGauge(
      'messages_unacked',
      'Messages delivered from a source queue and not yet settled, summed over the workers reading it.',
      (e) => e.unacked,
    );
    queueGauge(
      'consumers',
      'Consumers on a source queue, as the workers last reported.',
      (e) => e.consumers,
    );
    new Gauge({
      name: `${p}batch_latency_seconds`,
      help: 'Batch latency per type: the highest of its nodes p50 or p99 in their last heartbeat (heartbeats carry no buckets).',
      labelNames: ['type', 'quantile'],
      registers,
      collect() {
        this.reset();
        const highest = new Map<string, { type: string; quantile: string; seconds: number }>();
        for (const worker of source.workers()) {
          for (const node of worker.nodes) {
            for (const [quantile, ms] of [
              ['0.5', node.latencyP50Ms],
              ['0.99', node.latencyP99Ms],
            ] as const) {
              if (ms === undefined) continue;
              const key = `${node.type}\0${quantile}`;
              const known = highest.get(key);
              if (known === undefined || known.seconds < ms / 1000)
                highest.set(key, { type: node.type, quantile, seconds: ms / 1000 });
            }
          }
        }
        for (const { type, quantile, seconds } of highest.values())
          this.set({ type, quantile }, seconds);
      },
    });
    const workerGauge = (
      name: string,
      help: string,
      read: (worker: ReturnType<typeof source.workers>[number]) => number,
    ) =>
      new Gauge({
        name: `${p}worker_${name}`,
        help,
        labelNames: ['worker'],
        registers,
        collect() {
          this.reset();
          for (const worker of source.workers())
            this.set({ worker: worker.workerId }, read(worker));
        },
      });
    workerGauge('nodes', 'Nodes a worker runs now.', (worker) => worker.nodes.length);
    workerGauge('capacity', 'Nodes a worker can run.', (worker) => worker.capacity);
    workerGauge(
      'last_heartbeat_age_seconds',
      'Time since the master last heard from a worker.',
      (worker) => worker.lastSeenMsAgo / 1000,
    );
    workerGauge(
      'event_loop_lag_seconds',
      'How long the event loop running a worker nodes had not answered, as its last heartbeat said.',
      (worker) => (worker.eventLoopLagMs ?? 0) / 1000,
    );
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    this.#scrapes += 1;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
