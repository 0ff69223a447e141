/**
 * The worker's Prometheus metrics: Node's default process metrics and the worker's own, prefixed `monomyth_`, labelled
 * by node `type` only (never by node instance or message, so the number of series stays bounded by the system).
 *
 * Counts come from a batch interceptor (`interceptor`, given to the Worker's `interceptors`): once per batch it adds the
 * batch's outcome to plain numbers kept per type and records the batch's duration in a fixed-bucket array. Per message
 * it does nothing. All of it is read into prom-client only on a scrape (`collect()`, `get()`). Counting per type in the worker, rather than
 * reading each node's own counters on scrape, keeps the totals monotonic across a node's restart or stop inside the
 * worker: a node built again starts its own counters at 0, and a scrape would lose what it counted since the last one.
 * In-flight messages are a gauge read from the nodes' statuses on scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Metric } from 'prom-client';
import type { BatchInfo, BatchInterceptor, BatchOutcome } from '@monomyth/node';
import type { NodeStatus } from '@monomyth/mmop';
import { BatchDurationCollector } from './batch-duration.js';
import type { DurationCounts } from './batch-duration.js';

/** Every metric of the worker's own starts with this. */
export const METRIC_PREFIX = 'monomyth_';

/** Batch duration buckets, in seconds: 1 ms to 60 s, about three per decade. */
export const BATCH_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** What one node type has counted in this worker, across all its nodes, stopped and restarted ones included. */
interface TypeCounts {
  received: number;
  processed: number;
  failed: number;
  retried: number;
  published: number;
  /** The batch duration counts of this type, looked up once. */
  readonly duration: DurationCounts;
}

const COUNTERS = [
  [
    'received',
    'Messages taken from the source queue into batches (each attempt of a retried message counts).',
  ],
  [
    'processed',
    'Source messages done with: transformed, outputs durable, acknowledged (generator: values published).',
  ],
  ['failed', 'Messages sent to the fail queue.'],
  ['retried', 'Failed attempts scheduled for another attempt.'],
  ['published', 'Output messages published.'],
] as const satisfies readonly (readonly [keyof Omit<TypeCounts, 'duration'>, string])[];

export interface WorkerMetricsOptions {
  /** The statuses of the nodes running now (`worker.nodes()`), read on scrape for the in-flight gauge. */
  readonly nodes?: () => readonly NodeStatus[];
  /** Node types whose series exist (at 0) from the start, before their first batch: the system's `types`. */
  readonly types?: readonly string[];
  /** Also register Node's default process metrics (CPU, memory, event loop, GC). @default true */
  readonly defaultMetrics?: boolean;
}

export class WorkerMetrics {
  /** The registry the endpoint serves: this worker's metrics only (not prom-client's global registry). */
  readonly registry = new Registry();
  /** Give this to the Worker's `interceptors`: it counts each batch of every node the worker builds. */
  readonly interceptor: BatchInterceptor;
  readonly #types = new Map<string, TypeCounts>();
  readonly #duration: BatchDurationCollector;
  #nodes: () => readonly NodeStatus[];

  constructor(options: WorkerMetricsOptions = {}) {
    this.#nodes = options.nodes ?? (() => []);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const types = this.#types;
    for (const [field, help] of COUNTERS) {
      new Counter({
        name: `${METRIC_PREFIX}messages_${field}_total`,
        help,
        labelNames: ['type'],
        registers: [this.registry],
        collect() {
          // The totals are kept outside prom-client: set each series to them on scrape.
          this.reset();
          for (const [type, counts] of types) this.inc({ type }, counts[field]);
        },
      });
    }
    this.#duration = new BatchDurationCollector(
      `${METRIC_PREFIX}batch_duration_seconds`,
      "Time a batch took, from its run's start to its outcome (acknowledged, failed or retried).",
      BATCH_DURATION_BUCKETS,
    );
    // The registry formats anything with prom-client's get(); its typings list only its own classes.
    this.registry.registerMetric(this.#duration as unknown as Metric);
    const nodes = (): readonly NodeStatus[] => this.#nodes();
    new Gauge({
      name: `${METRIC_PREFIX}messages_in_flight`,
      help: 'Messages held unacknowledged now by the nodes: the batches in flight and retries they hold.',
      labelNames: ['type'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const type of types.keys()) this.set({ type }, 0);
        for (const node of nodes()) this.inc({ type: node.type }, node.inFlight);
      },
    });
    this.interceptor = { interceptBatch: (info, next) => this.#count(info, next) };
    for (const type of options.types ?? []) this.#countsOf(type);
  }

  /** Where the in-flight gauge reads the nodes from, when the worker is built after its metrics. */
  observe(nodes: () => readonly NodeStatus[]): void {
    this.#nodes = nodes;
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #count(info: BatchInfo, next: () => Promise<BatchOutcome>): Promise<BatchOutcome> {
    const counts = this.#countsOf(info.node.type);
    if (info.queue !== null) counts.received += info.size;
    const started = performance.now();
    // One continuation on the batch's own promise, not an async function: no extra promise or microtask turns.
    return next().then((outcome) => {
      this.#duration.record(counts.duration, (performance.now() - started) / 1000);
      counts.processed += outcome.processed;
      counts.failed += outcome.failed;
      counts.retried += outcome.retried;
      counts.published += outcome.published;
      return outcome;
    });
  }

  #countsOf(type: string): TypeCounts {
    let counts = this.#types.get(type);
    if (counts === undefined) {
      counts = {
        received: 0,
        processed: 0,
        failed: 0,
        retried: 0,
        published: 0,
        duration: this.#duration.countsOf(type),
      };
      this.#types.set(type, counts);
    }
    return counts;
  }
}
