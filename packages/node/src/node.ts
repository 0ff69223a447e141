/**
 * A running node instance: the iteration pull -> transform -> place over its stream adapter, and its lifecycle.
 *
 *   created --start()--> starting --> running --drain()--> draining --> stopped
 *                            \            \                                ^
 *                             \            +--(generator ends)-------------+
 *                              +--(start hook or stream fails)--> failed <-- (the stream fails while running)
 *
 * `run()` resolves when the node stops on purpose and rejects with the fatal error otherwise. `drain(timeoutMs)`
 * stops pulling, lets every batch in flight finish and settle, then closes; past the timeout it aborts `ctx.signal`
 * and abandons them, and the broker redelivers their messages. A node reading a queue keeps up to `batchesInFlight`
 * batches in flight (see batch-pipeline.ts). `stop()` is a drain that does not wait. Both are
 * idempotent and never reject. The node never opens or closes its adapter: the worker owns that.
 */
import { randomUUID } from 'node:crypto';
import { BatchExecutor } from './batch-executor.js';
import { BatchWindow, SettleTurn } from './batch-pipeline.js';
import type { NodeContext, NodeInfo } from './definition.js';
import {
  ConsumerClosedError,
  NodeHookError,
  NodeStateError,
  StreamFailureError,
  describeError,
} from './errors.js';
import { GeneratorRunner } from './generator-runner.js';
import { EventLoopYielder } from './event-loop.js';
import { HeldRetries } from './held-retries.js';
import { BatchRuns } from './batch-runs.js';
import { PublishQueue } from './publish-queue.js';
import { deferred } from './deferred.js';
import type { BatchInterceptor } from './interceptors.js';
import { noopLogger } from './logger.js';
import type { Logger } from './logger.js';
import { NODE_TRANSITIONS, NodeCounters } from './node-stats.js';
import type { NodeState, NodeStats } from './node-stats.js';
import { Lifecycle } from '@monomyth/mmop';
import type { NodeSpec } from './recipe.js';
import { isDelayedRetryCapable } from './stream-adapter.js';
import type { Delivery, StreamAdapter, StreamConsumer } from './stream-adapter.js';

/** How long `drain()` waits for the batch in flight when not told. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** What a node is built with, beside its recipe. */
export interface NodeRuntimeOptions {
  /** The stream adapter, already open. The node declares its queues, consumes and publishes; it never closes it. */
  readonly adapter: StreamAdapter;
  /** The node logs through a child of it, with its type and name bound. Default: no logging. */
  readonly logger?: Logger;
  /** The worker's id, named in failure headers and logs. */
  readonly worker?: string;
  /** Wrapped around every batch, the first outermost. */
  readonly interceptors?: readonly BatchInterceptor[];
  /** The node's name; default `<TYPE>:<uuid>`. */
  readonly name?: string;
  /** Source of backoff jitter, in [0, 1). Default Math.random; tests pin it. */
  readonly random?: () => number;
}

export class Node implements AsyncDisposable {
  readonly info: NodeInfo;
  private readonly spec: NodeSpec;
  private readonly adapter: StreamAdapter;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly counters = new NodeCounters();
  /** Aborted when the node stops for good: what transforms and hooks see as `ctx.signal`. */
  private readonly stopController = new AbortController();
  /** Aborted when the node stops pulling (drain): wakes a pending `nextBatch`. */
  private readonly pullController = new AbortController();
  private readonly shared: NodeContext;
  /** Not logged by the Lifecycle: the node logs its states itself, with what each one needs (settings, counts, error). */
  private readonly life = new Lifecycle<NodeState>({
    component: 'node',
    initial: 'created',
    transitions: NODE_TRANSITIONS,
  });
  private consumer: StreamConsumer | undefined;
  private held: HeldRetries | undefined;
  private generator: GeneratorRunner | undefined;
  private starting: Promise<void> | undefined;
  private readonly done = deferred();
  private finalizing: Promise<void> | undefined;
  private abandonedBatch = false;
  /** A failure noticed outside the loop (a held retry that could not be placed): the loop stops on it. */
  private fatal: unknown;
  private readonly runs: BatchRuns;

  constructor(spec: NodeSpec, options: NodeRuntimeOptions) {
    this.spec = spec;
    this.adapter = options.adapter;
    this.random = options.random ?? Math.random;
    this.info = Object.freeze({
      type: spec.type,
      name: options.name ?? `${spec.type}:${randomUUID()}`,
      worker: options.worker,
    });
    const bindings: Record<string, unknown> = {
      nodeType: this.info.type,
      nodeName: this.info.name,
    };
    if (options.worker !== undefined) bindings.worker = options.worker;
    this.logger = (options.logger ?? noopLogger).child(bindings);
    this.shared = Object.freeze({
      node: this.info,
      logger: this.logger,
      signal: this.stopController.signal,
      options: spec.options,
    });
    this.runs = new BatchRuns(
      this.info,
      options.interceptors ?? [],
      this.counters,
      () => this.abandonedBatch,
    );
  }

  get name(): string {
    return this.info.name;
  }

  get type(): string {
    return this.info.type;
  }

  get state(): NodeState {
    return this.life.state;
  }

  /** The counters now, for heartbeats. Cheap: no sample is stored. */
  stats(): NodeStats {
    const { counters } = this;
    return {
      name: this.info.name,
      type: this.info.type,
      state: this.life.state,
      processed: counters.processed,
      failed: counters.failed,
      retried: counters.retried,
      inFlight: this.runs.inFlightMessages + (this.held?.size ?? 0),
      batches: counters.batches,
      published: counters.published,
      latencyP50Ms: counters.latency.percentile(0.5),
      latencyP99Ms: counters.latency.percentile(0.99),
    };
  }

  /**
   * Runs the start hook, declares the node's queues and opens its consumer. Resolves once the node is running (or
   * already stopped again); rejects when the start hook or the stream fails, leaving the node `failed`. Idempotent.
   */
  start(): Promise<void> {
    if (this.starting !== undefined) return this.starting;
    if (!this.life.is('created'))
      return Promise.reject(new NodeStateError('start', this.life.state));
    this.life.to('starting');
    this.starting = this.boot();
    return this.starting;
  }

  /** Starts the node if needed; resolves when it stops on purpose, rejects with the error that stopped it otherwise. */
  async run(): Promise<void> {
    if (this.life.is('created')) await this.start().catch(() => {});
    return this.done.promise;
  }

  /**
   * Stops pulling, finishes and settles every batch in flight, publishes held retries, closes the consumer and runs the
   * stop hook. Past `timeoutMs` it stops without waiting (see `stop()`). Resolves when the node has stopped, whether
   * it stopped cleanly or not; idempotent.
   */
  async drain(timeoutMs: number = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
    if (this.life.is('created')) {
      this.life.to('stopped');
      this.done.resolve();
      return;
    }
    if (this.life.is('starting', 'running')) {
      this.life.to('draining');
      this.logger.info({ timeoutMs }, 'draining');
      this.pullController.abort();
      this.generator?.stopPulling();
    }
    if (this.finalizing === undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), Math.max(0, timeoutMs));
      });
      const finished = this.done.promise.then(
        () => false,
        () => false,
      );
      const late = await Promise.race([finished, timedOut]);
      clearTimeout(timer);
      if (late) this.abandon('the drain timed out');
    }
    await this.done.promise.catch(() => {});
  }

  /**
   * Stops now: aborts `ctx.signal`, abandons the batches in flight (their messages are redelivered, possibly after some
   * of their outputs were published), drops held retries (their originals are redelivered), closes the consumer and
   * runs the stop hook. Resolves when stopped; idempotent.
   */
  async stop(): Promise<void> {
    if (this.life.is('created')) return this.drain(0);
    if (this.life.is('starting', 'running')) {
      this.life.to('draining');
      this.pullController.abort();
      this.generator?.stopPulling();
    }
    this.abandon('stopped');
    await this.done.promise.catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }

  private async boot(): Promise<void> {
    const { spec, adapter } = this;
    try {
      try {
        const queues = new Set<string>([spec.failQueue]);
        if (spec.source !== null) queues.add(spec.source);
        if (spec.dest.kind === 'fixed') for (const queue of spec.dest.queues) queues.add(queue);
        if (spec.dest.kind === 'routed')
          for (const list of spec.dest.routes.values()) for (const q of list) queues.add(q);
        for (const queue of queues) await adapter.declareQueue(queue);
      } catch (error) {
        throw new StreamFailureError('start', this.info.name, error);
      }
      if (spec.definition.onStart !== undefined) {
        try {
          await spec.definition.onStart(this.shared);
        } catch (error) {
          throw new NodeHookError('onStart', this.info.name, error);
        }
      }
      if (spec.source !== null && this.life.is('starting')) {
        try {
          this.consumer = await adapter.consume(spec.source, {
            maxUnacked: spec.maxUnacked,
            failQueue: spec.failQueue,
          });
        } catch (error) {
          throw new StreamFailureError('start', this.info.name, error);
        }
      }
    } catch (error) {
      await this.consumer?.close().catch(() => {});
      if (this.finalizing !== undefined) return; // stop() gave up on the start already
      this.logger.error({ error: describeError(error) }, 'failed to start');
      this.life.to('failed');
      this.stopController.abort();
      this.done.reject(error);
      throw error;
    }
    if (!this.life.is('starting')) {
      // drain() or stop() came while starting: stop without pulling anything. If stop() already finalized (it does
      // not wait for a slow start), the consumer opened since is closed here.
      if (this.finalizing !== undefined) await this.consumer?.close().catch(() => {});
      else void this.finalize(undefined);
      return;
    }
    this.life.to('running');
    this.logger.info(
      {
        source: spec.source,
        batchSize: spec.batchSize,
        concurrency: spec.concurrency,
        batchesInFlight: spec.batchesInFlight,
      },
      'running',
    );
    const loop = this.consumer !== undefined ? this.pullLoop(this.consumer) : this.generatorLoop();
    loop.then(
      () => this.finalize(undefined),
      (error: unknown) => this.finalize(error),
    );
  }

  private async pullLoop(consumer: StreamConsumer): Promise<void> {
    const { spec, adapter } = this;
    const delayedRetry = isDelayedRetryCapable(adapter) ? adapter : undefined;
    if (delayedRetry === undefined) {
      this.held = new HeldRetries(
        adapter,
        consumer,
        this.logger,
        (error) => this.failFromOutside(error),
        { adapter, failQueue: spec.failQueue, node: this.info, logger: this.logger },
      );
    }
    const executor = new BatchExecutor({
      spec,
      // Batches in flight publish one call at a time, the waiting ones together, so outputs keep their order.
      adapter: spec.batchesInFlight > 1 ? new PublishQueue(adapter) : adapter,
      delayedRetry,
      held: this.held,
      shared: this.shared,
      logger: this.logger,
      random: this.random,
      aborted: () => this.stopController.signal.aborted,
      abandoned: () => this.abandonedBatch,
      streamFailed: (error) => this.streamFailed(error),
    });
    const pull = {
      max: spec.batchSize,
      timeoutMs: spec.batchTimeoutMs,
      signal: this.pullController.signal,
    };
    const window = spec.batchesInFlight > 1 ? new BatchWindow(spec.batchesInFlight) : undefined;
    const yielder = new EventLoopYielder();
    while (this.life.is('running')) {
      if (window?.full === true) {
        await window.slot();
        continue;
      }
      let deliveries: Delivery[];
      try {
        deliveries = await consumer.nextBatch(pull);
      } catch (error) {
        if (!this.life.is('running') && error instanceof ConsumerClosedError) break;
        throw new StreamFailureError('pull', this.info.name, error);
      }
      if (this.fatal !== undefined) throw this.fatal;
      if (deliveries.length === 0) continue;
      // A drain that began while this batch was filling cut it short: it is in the node's hands, so it is finished
      // like any batch in flight (the loop ends after it).
      if (window === undefined) {
        await this.runs.run(deliveries.length, spec.source, () =>
          executor.execute(deliveries, consumer),
        );
      } else {
        this.overlap(window, deliveries, executor, consumer);
      }
      if (this.fatal !== undefined) throw this.fatal;
      const turn = yielder.maybeYield();
      if (turn !== undefined) await turn;
    }
    // Drain: every batch in flight finishes and settles before the consumer closes. (A failure does not wait: the
    // consumer closes under the others, and their messages are redelivered.)
    if (window !== undefined) await window.empty();
    if (this.fatal !== undefined) throw this.fatal;
  }

  /** Starts a batch beside those in flight; it settles after them (see batch-pipeline.ts). */
  private overlap(
    window: BatchWindow,
    deliveries: readonly Delivery[],
    executor: BatchExecutor,
    consumer: StreamConsumer,
  ): void {
    const ticket = window.enter(deliveries.length);
    const turn = new SettleTurn(consumer, ticket);
    this.runs
      .run(deliveries.length, this.spec.source, () => executor.execute(deliveries, turn, turn))
      .then(
        () => window.leave(ticket),
        (error: unknown) => {
          window.leave(ticket);
          if (this.fatal !== undefined || this.finalizing !== undefined) return;
          this.fatal = error;
          this.pullController.abort();
        },
      );
  }

  private async generatorLoop(): Promise<void> {
    const generator: GeneratorRunner = new GeneratorRunner({
      spec: this.spec,
      adapter: this.adapter,
      shared: this.shared,
      logger: this.logger,
      runBatch: (values): Promise<void> =>
        this.runs.run(values.length, null, () => generator.placeBatch(values)),
    });
    this.generator = generator;
    await generator.run();
    if (this.life.is('running')) {
      this.logger.info('generator finished');
      this.life.to('draining');
    }
  }

  /**
   * A batch met a stream failure and is about to requeue what it holds: stop pulling first, so that no batch of this
   * node takes those messages again on its way down.
   */
  private streamFailed(error: unknown): void {
    if (this.fatal !== undefined || this.finalizing !== undefined) return;
    this.fatal = new StreamFailureError('place', this.info.name, error);
    this.pullController.abort();
  }

  private failFromOutside(error: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = new StreamFailureError('place', this.info.name, error);
    this.logger.error(
      { error: describeError(error) },
      'a held retry could not be placed; stopping',
    );
    this.pullController.abort();
    this.generator?.stopPulling();
    // The aborted pull wakes the loop, which throws `fatal` and finalizes with it.
  }

  private abandon(reason: string): void {
    if (this.finalizing !== undefined) return;
    this.abandonedBatch = true;
    this.stopController.abort();
    this.generator?.abandon();
    if (this.runs.busy)
      this.logger.warn(
        { reason, messages: this.runs.inFlightMessages },
        'abandoning the batches in flight; they will be redelivered',
      );
    void this.finalize(undefined);
  }

  /** Settles held retries, closes the consumer, runs the stop hook, and ends the node. Runs once. */
  private finalize(failure: unknown): Promise<void> {
    this.finalizing ??= (async () => {
      let error = failure;
      if (this.held !== undefined) {
        if (error === undefined && !this.abandonedBatch) {
          try {
            await this.held.flush();
          } catch (flushError) {
            error = new StreamFailureError('place', this.info.name, flushError);
          }
        }
        this.held.cancel();
      }
      if (this.consumer !== undefined) {
        await this.consumer.close().catch((closeError: unknown) => {
          this.logger.warn({ error: describeError(closeError) }, 'closing the consumer failed');
        });
      }
      this.stopController.abort();
      if (this.spec.definition.onStop !== undefined) {
        try {
          await this.spec.definition.onStop(this.shared);
        } catch (hookError) {
          this.logger.error(
            { error: describeError(new NodeHookError('onStop', this.info.name, hookError)) },
            'stop hook failed',
          );
        }
      }
      if (error === undefined) {
        // move, not to: a node that failed to start and is stopped afterwards stays failed.
        this.life.move('stopped');
        this.logger.info(
          this.counters.processed > 0 ? { processed: this.counters.processed } : {},
          'stopped',
        );
        this.done.resolve();
      } else {
        this.life.move('failed');
        this.logger.error({ error: describeError(error) }, 'failed');
        this.done.reject(error);
      }
    })();
    return this.finalizing;
  }
}
