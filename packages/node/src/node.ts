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
 * batches in flight (the loop is in queue-loop.ts). `stop()` is a drain that does not wait. Both are
 * idempotent and never reject. The node never opens or closes its adapter: the worker owns that.
 */
import { randomUUID } from 'node:crypto';
import type { NodeContext, NodeInfo } from './definition.js';
import { NodeHookError, NodeStateError, StreamFailureError, describeError } from './errors.js';
import { GeneratorRunner } from './generator-runner.js';
import { HeldRetries } from './held-retries.js';
import { BatchRuns } from './batch-runs.js';
import { deferred } from './deferred.js';
import type { BatchInterceptor } from './interceptors.js';
import { noopLogger } from './logger.js';
import type { Logger } from './logger.js';
import { NODE_TRANSITIONS, NodeCounters } from './node-stats.js';
import type { NodeState, NodeStats } from './node-stats.js';
import { DEFAULT_DRAIN_TIMEOUT_MS, Lifecycle } from '@monomyth/mmop';
import { queuesOf } from './recipe.js';
import type { NodeSpec } from './recipe.js';
import { runQueueLoop } from './queue-loop.js';
import type { QueueLoopNode } from './queue-loop.js';
import { isDelayedRetryCapable } from './stream-adapter.js';
import type { StreamAdapter, StreamConsumer } from './stream-adapter.js';

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
        for (const queue of queuesOf(spec)) await adapter.declareQueue(queue);
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

  /** Reads the node's queue until it stops (see queue-loop.ts); holds retries itself when the adapter cannot. */
  private pullLoop(consumer: StreamConsumer): Promise<void> {
    const { spec, adapter, logger } = this;
    const delayedRetry = isDelayedRetryCapable(adapter) ? adapter : undefined;
    if (delayedRetry === undefined) {
      const placement = { adapter, failQueue: spec.failQueue, node: this.info, logger };
      this.held = new HeldRetries(placement, consumer, (error) => this.failFromOutside(error));
    }
    const loop: QueueLoopNode = {
      spec,
      adapter,
      delayedRetry,
      held: this.held,
      info: this.info,
      shared: this.shared,
      logger,
      random: this.random,
      runs: this.runs,
      pullSignal: this.pullController.signal,
      running: () => this.life.is('running'),
      abandoned: () => this.abandonedBatch,
      fatal: () => this.fatal,
      fail: (error) => this.failBatch(error),
    };
    return runQueueLoop(loop, consumer);
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
   * A batch failed, or met a stream failure and is about to requeue what it holds: stop pulling first, so that no
   * batch of this node takes those messages again on its way down.
   */
  private failBatch(error: unknown): void {
    if (this.fatal !== undefined || this.finalizing !== undefined) return;
    this.fatal = error;
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
