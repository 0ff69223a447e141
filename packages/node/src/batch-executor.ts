/**
 * One batch of a transforming node, from deliveries to acknowledgements:
 *
 *   decode (step pull) -> transform (step transform) -> route + encode (step place)   per message, bounded concurrency
 *   -> publish outputs and fail-queue copies, store delayed retries                   once per batch, durable
 *   -> ack what is settled, requeue what is not                                       once per batch
 *
 * Failure is per message: a message that fails at any step is retried or sent to the fail queue; the others go on.
 * Nothing is acked before what replaces it (outputs, a fail-queue copy, a retry copy) is durable. When the stream
 * itself fails (publish, retry or ack rejects), the batch's unsettled messages are requeued, no attempt is burned,
 * and a `StreamFailureError` stops the node.
 *
 * Hot path: per message one context object and one outgoing message per output; a sync transform costs no promise.
 */
import { BodyCodecError, StreamFailureError, UnknownRouteError, describeError } from './errors.js';
import type { Step } from './errors.js';
import type { BodyCodec } from './codecs.js';
import type { NodeContext, Route, Transform } from './definition.js';
import { backoffDelayMs, failHeaders, retryHeaders, shouldRetry } from './failure-policy.js';
import type { MessageFailure } from './failure-policy.js';
import { NO_HEADERS } from './headers.js';
import type { HeldRetries } from './held-retries.js';
import type { BatchOutcome } from './interceptors.js';
import type { Logger } from './logger.js';
import { MessageContext } from './message-context.js';
import type { NodeSpec } from './recipe.js';
import type {
  DelayedRetry,
  DelayedRetryCapable,
  Delivery,
  OutgoingMessage,
  StreamAdapter,
  StreamConsumer,
} from './stream-adapter.js';

/** What became of one message in the transform phase. */
const enum Kind {
  /** Done, nothing to publish (a filter, a sink). */
  None = 0,
  /** Done, one output: `results[i]` is its OutgoingMessage. */
  One = 1,
  /** Done, several outputs: `results[i]` is an OutgoingMessage[]. */
  Many = 2,
  /** Failed: `results[i]` is a MessageFailure. */
  Failed = 3,
  /** The node was stopping and the transform gave up: give it back untouched. */
  Aborted = 4,
}

export interface BatchEnvironment {
  readonly spec: NodeSpec;
  readonly adapter: StreamAdapter;
  /** The adapter, when it can retry later without the node holding anything. */
  readonly delayedRetry: DelayedRetryCapable | undefined;
  /** Retries held by the node when the adapter cannot retry later. */
  readonly held: HeldRetries | undefined;
  readonly shared: NodeContext;
  readonly logger: Logger;
  readonly random: () => number;
  /** True once the node was told to stop now: failures then are the stop's doing, not the message's. */
  readonly aborted: () => boolean;
  /** True once the node gave up on its batch in flight (stopped past its drain timeout): settle nothing. */
  readonly abandoned: () => boolean;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export class BatchExecutor {
  private readonly transform: Transform<unknown, unknown>;
  private readonly route: Route<unknown, string> | undefined;
  private readonly codec: BodyCodec;
  private readonly sink: boolean;
  /** The one queue every output goes to, when there is exactly one: the common case, with the fewest steps. */
  private readonly singleQueue: string | undefined;
  private readonly fixedQueues: readonly string[];
  private readonly routes: ReadonlyMap<string, readonly string[]>;

  constructor(private readonly env: BatchEnvironment) {
    const { spec } = env;
    this.transform = spec.definition.transform as Transform<unknown, unknown>;
    this.route = spec.definition.route as Route<unknown, string> | undefined;
    this.codec = spec.codec;
    this.sink = spec.dest.kind === 'sink';
    this.fixedQueues = spec.dest.kind === 'fixed' ? spec.dest.queues : [];
    this.singleQueue = this.fixedQueues.length === 1 ? this.fixedQueues[0] : undefined;
    this.routes = spec.dest.kind === 'routed' ? spec.dest.routes : new Map();
  }

  async execute(batch: readonly Delivery[], consumer: StreamConsumer): Promise<BatchOutcome> {
    const n = batch.length;
    const kinds = new Uint8Array(n);
    const results = new Array<unknown>(n);
    const concurrency = Math.min(this.env.spec.concurrency, n);
    if (concurrency <= 1) {
      for (let i = 0; i < n; i++) {
        const pending = this.transformOne(batch, i, kinds, results);
        if (pending !== undefined) await pending;
      }
    } else {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < n) {
          const i = next++;
          const pending = this.transformOne(batch, i, kinds, results);
          if (pending !== undefined) await pending;
        }
      };
      const lanes: Promise<void>[] = [];
      for (let k = 0; k < concurrency; k++) lanes.push(lane());
      await Promise.all(lanes);
    }
    return this.settle(batch, kinds, results, consumer);
  }

  private transformOne(
    batch: readonly Delivery[],
    i: number,
    kinds: Uint8Array,
    results: unknown[],
  ): Promise<void> | undefined {
    const delivery = batch[i] as Delivery;
    let input: unknown;
    try {
      input = this.codec.decode(delivery.body);
    } catch (error) {
      this.fail(i, 'pull', codecError(this.codec, 'decode', error), kinds, results);
      return undefined;
    }
    let result: unknown;
    try {
      result = this.transform(input, new MessageContext(this.env.shared, delivery));
    } catch (error) {
      this.fail(i, 'transform', error, kinds, results);
      return undefined;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => this.place(i, value, kinds, results),
        (error: unknown) => this.fail(i, 'transform', error, kinds, results),
      );
    }
    this.place(i, result, kinds, results);
    return undefined;
  }

  /** Routes and encodes a message's outputs; a failure here fails the message at step place, with none published. */
  private place(i: number, result: unknown, kinds: Uint8Array, results: unknown[]): void {
    if (this.sink || result === undefined) {
      kinds[i] = Kind.None;
      return;
    }
    try {
      if (!Array.isArray(result) && this.singleQueue !== undefined) {
        results[i] = { queue: this.singleQueue, body: this.encode(result), headers: NO_HEADERS };
        kinds[i] = Kind.One;
        return;
      }
      const out: OutgoingMessage[] = [];
      if (Array.isArray(result)) {
        for (const value of result as unknown[])
          if (value !== undefined) this.addOutputs(value, out);
      } else {
        this.addOutputs(result, out);
      }
      if (out.length === 0) {
        kinds[i] = Kind.None;
      } else if (out.length === 1) {
        kinds[i] = Kind.One;
        results[i] = out[0];
      } else {
        kinds[i] = Kind.Many;
        results[i] = out;
      }
    } catch (error) {
      this.fail(i, 'place', error, kinds, results);
    }
  }

  private addOutputs(value: unknown, out: OutgoingMessage[]): void {
    let queues: readonly string[];
    if (this.route === undefined) {
      queues = this.fixedQueues;
    } else {
      const chosen = this.route(value, this.env.shared);
      if (typeof chosen === 'string') {
        queues = this.routeQueues(chosen);
      } else {
        const all: string[] = [];
        for (const key of chosen) for (const queue of this.routeQueues(key)) all.push(queue);
        queues = all;
      }
      if (queues.length === 0) return;
    }
    const body = this.encode(value);
    for (const queue of queues) out.push({ queue, body, headers: NO_HEADERS });
  }

  private routeQueues(key: string): readonly string[] {
    const queues = this.routes.get(key);
    if (queues === undefined) throw new UnknownRouteError(String(key), [...this.routes.keys()]);
    return queues;
  }

  private encode(value: unknown): Uint8Array {
    try {
      return this.codec.encode(value);
    } catch (error) {
      throw codecError(this.codec, 'encode', error);
    }
  }

  private fail(i: number, step: Step, error: unknown, kinds: Uint8Array, results: unknown[]): void {
    if (this.env.aborted()) {
      kinds[i] = Kind.Aborted;
      return;
    }
    kinds[i] = Kind.Failed;
    results[i] = { step, error } satisfies MessageFailure;
  }

  private async settle(
    batch: readonly Delivery[],
    kinds: Uint8Array,
    results: unknown[],
    consumer: StreamConsumer,
  ): Promise<BatchOutcome> {
    const { spec, shared, held, delayedRetry, logger } = this.env;
    const node = shared.node;
    const publishes: OutgoingMessage[] = [];
    /** Acked once `publishes` are durable: done messages and those whose fail-queue copy is in `publishes`. */
    const placed: Delivery[] = [];
    /** Acked once their retry copies are durable. */
    const retriedLater: Delivery[] = [];
    const retries: DelayedRetry[] = [];
    const giveBack: Delivery[] = [];
    let processed = 0;
    let failed = 0;
    let retried = 0;
    let nowIso: string | undefined;

    for (let i = 0; i < batch.length; i++) {
      const delivery = batch[i] as Delivery;
      switch (kinds[i] as Kind) {
        case Kind.None:
          placed.push(delivery);
          processed += 1;
          break;
        case Kind.One:
          publishes.push(results[i] as OutgoingMessage);
          placed.push(delivery);
          processed += 1;
          break;
        case Kind.Many:
          for (const message of results[i] as OutgoingMessage[]) publishes.push(message);
          placed.push(delivery);
          processed += 1;
          break;
        case Kind.Failed: {
          const failure = results[i] as MessageFailure;
          nowIso ??= new Date().toISOString();
          if (shouldRetry(failure, delivery.attempt, spec.retry)) {
            const delayMs = backoffDelayMs(delivery.attempt, spec.retry, this.env.random);
            const headers = retryHeaders(failure, delivery, node, nowIso);
            if (delayedRetry !== undefined) {
              retries.push({ delivery, delayMs, headers });
              retriedLater.push(delivery);
            } else {
              (held as HeldRetries).hold(delivery, delayMs, headers);
            }
            retried += 1;
            logger.warn(
              {
                step: failure.step,
                attempt: delivery.attempt,
                delayMs,
                error: describeError(failure.error),
              },
              'message failed; retrying later',
            );
          } else {
            publishes.push({
              queue: spec.failQueue,
              body: delivery.body,
              headers: failHeaders(failure, delivery, node, nowIso),
            });
            placed.push(delivery);
            failed += 1;
            logger.warn(
              {
                step: failure.step,
                attempt: delivery.attempt,
                error: describeError(failure.error),
              },
              'message failed; sent to the fail queue',
            );
          }
          break;
        }
        case Kind.Aborted:
          giveBack.push(delivery);
          break;
      }
    }

    const abandonedOutcome: BatchOutcome = {
      processed: 0,
      failed: 0,
      retried: 0,
      requeued: batch.length,
      published: 0,
    };
    // Stopped past the drain timeout: the consumer is closed and the broker redelivers the batch; publishing now would
    // only make duplicates.
    if (this.env.abandoned()) return abandonedOutcome;

    let publishError: unknown;
    let retryError: unknown;
    if (retries.length === 0) {
      if (publishes.length > 0) {
        try {
          await this.env.adapter.publish(publishes);
        } catch (error) {
          publishError = error ?? new Error('publish failed');
        }
      }
    } else {
      const [published, stored] = await Promise.allSettled([
        publishes.length > 0 ? this.env.adapter.publish(publishes) : undefined,
        (delayedRetry as DelayedRetryCapable).retryLater(retries),
      ]);
      if (published.status === 'rejected')
        publishError = published.reason ?? new Error('publish failed');
      if (stored.status === 'rejected')
        retryError = stored.reason ?? new Error('retryLater failed');
    }
    if (this.env.abandoned()) return abandonedOutcome;

    let acks: Delivery[];
    if (publishError === undefined) {
      acks = placed;
      if (retryError === undefined) for (const delivery of retriedLater) acks.push(delivery);
    } else {
      acks = retryError === undefined ? retriedLater : [];
      for (const delivery of placed) giveBack.push(delivery);
    }
    if (retryError !== undefined) for (const delivery of retriedLater) giveBack.push(delivery);

    try {
      if (acks.length > 0) await consumer.ack(acks);
      if (giveBack.length > 0) await consumer.requeue(giveBack);
    } catch (error) {
      throw new StreamFailureError('place', node.name, error);
    }
    const streamError = publishError ?? retryError;
    if (streamError !== undefined) throw new StreamFailureError('place', node.name, streamError);
    return {
      processed,
      failed,
      retried,
      requeued: giveBack.length,
      published: publishes.length - failed,
    };
  }
}

function codecError(codec: BodyCodec, operation: 'encode' | 'decode', error: unknown): unknown {
  if (error instanceof BodyCodecError) return error;
  return new BodyCodecError(
    codec.name,
    `the ${codec.name} codec could not ${operation}: ${describeError(error)}`,
    {
      cause: error,
    },
  );
}
