/**
 * The loop of a generator node: it reads nothing and publishes what its `generate` iterable yields, in batches of up
 * to `batchSize` values, a started batch waiting at most `batchTimeoutMs` for the next value. When the iterable ends,
 * the last batch is published and the node stops. A value that cannot be routed or encoded is logged and counted as
 * failed (there is no source message to send to a fail queue). Values not yet published when the node is stopped
 * without draining are lost: a generator has nothing for the broker to redeliver.
 */
import type { Generate, NodeContext, Route } from './definition.js';
import {
  BodyCodecError,
  GeneratorFailedError,
  StreamFailureError,
  UnknownRouteError,
  describeError,
} from './errors.js';
import { EventLoopYielder } from './event-loop.js';
import type { BatchOutcome } from './interceptors.js';
import type { Logger } from './logger.js';
import type { NodeSpec } from './recipe.js';
import type { OutgoingMessage, StreamAdapter } from './stream-adapter.js';

export interface GeneratorEnvironment {
  readonly spec: NodeSpec;
  readonly adapter: StreamAdapter;
  readonly shared: NodeContext;
  readonly logger: Logger;
  /** Runs a batch of values through the node's interceptors and counters, down to `placeBatch`. */
  readonly runBatch: (values: readonly unknown[]) => Promise<void>;
}

type Step = IteratorResult<unknown> | undefined;

export class GeneratorRunner {
  private pulling = true;
  private abandoned = false;
  private wake: (() => void) | undefined;

  constructor(private readonly env: GeneratorEnvironment) {}

  /** Asks the loop to stop after publishing what it has; wakes it if it waits for a value. */
  stopPulling(): void {
    this.pulling = false;
    this.wake?.();
  }

  /** Stops without publishing what is buffered. */
  abandon(): void {
    this.abandoned = true;
    this.stopPulling();
  }

  async run(): Promise<void> {
    const { spec, shared } = this.env;
    const generate = spec.definition.generate as Generate<unknown>;
    let iterable: Iterable<unknown> | AsyncIterable<unknown>;
    try {
      iterable = generate(shared);
    } catch (error) {
      throw new GeneratorFailedError(shared.node.name, error);
    }
    const isAsync =
      typeof (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
    const iterator = isAsync
      ? (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (iterable as Iterable<unknown>)[Symbol.iterator]();
    let buffer: unknown[] = [];
    let firstAt = 0;
    let pending: Promise<IteratorResult<unknown>> | undefined;
    let ended = false;
    const yielder = new EventLoopYielder();
    try {
      while (this.pulling) {
        let step: Step;
        try {
          if (!isAsync) {
            step = (iterator as Iterator<unknown>).next();
          } else {
            pending ??= (iterator as AsyncIterator<unknown>).next();
            const waitMs =
              buffer.length > 0 ? firstAt + spec.batchTimeoutMs - performance.now() : Infinity;
            step = await this.race(pending, waitMs);
            if (step !== undefined) pending = undefined;
          }
        } catch (error) {
          ended = true;
          throw new GeneratorFailedError(shared.node.name, error);
        }
        if (step === undefined) {
          // The batch timed out (or the node is stopping): publish what there is.
          if (buffer.length > 0) {
            await this.env.runBatch(buffer);
            buffer = [];
          }
          continue;
        }
        if (step.done === true) {
          ended = true;
          break;
        }
        if (buffer.length === 0) firstAt = performance.now();
        buffer.push(step.value);
        if (buffer.length >= spec.batchSize) {
          await this.env.runBatch(buffer);
          buffer = [];
          const turn = yielder.maybeYield();
          if (turn !== undefined) await turn;
        }
      }
      if (buffer.length > 0 && !this.abandoned) await this.env.runBatch(buffer);
    } finally {
      if (!ended && typeof iterator.return === 'function') {
        // Not awaited: an async generator stuck in an await would hold the node's stop forever.
        const finish = iterator.return.bind(iterator);
        void Promise.resolve()
          .then(() => finish())
          .catch(() => {});
      }
    }
  }

  /** Routes, encodes and publishes one batch of values; called by the node inside its interceptors. */
  async placeBatch(values: readonly unknown[]): Promise<BatchOutcome> {
    const { spec, adapter, shared, logger } = this.env;
    const messages: OutgoingMessage[] = [];
    let failed = 0;
    for (const value of values) {
      try {
        const queues = this.queuesFor(value);
        if (queues.length === 0) continue;
        let body: Uint8Array;
        try {
          body = spec.codec.encode(value);
        } catch (error) {
          throw new BodyCodecError(
            spec.codec.name,
            `the ${spec.codec.name} codec could not encode: ${describeError(error)}`,
            {
              cause: error,
            },
          );
        }
        for (const queue of queues) messages.push({ queue, body });
      } catch (error) {
        failed += 1;
        logger.error(
          { error: describeError(error) },
          'a generated value could not be placed; dropped',
        );
      }
    }
    if (this.abandoned) return { processed: 0, failed: 0, retried: 0, requeued: 0, published: 0 };
    if (messages.length > 0) {
      try {
        await adapter.publish(messages);
      } catch (error) {
        throw new StreamFailureError('place', shared.node.name, error);
      }
    }
    return {
      processed: values.length - failed,
      failed,
      retried: 0,
      requeued: 0,
      published: messages.length,
    };
  }

  private queuesFor(value: unknown): readonly string[] {
    const { spec, shared } = this.env;
    const dest = spec.dest;
    if (dest.kind === 'sink') return [];
    if (dest.kind === 'fixed') return dest.queues;
    const route = spec.definition.route as Route<unknown, string>;
    const chosen = route(value, shared);
    const keys = typeof chosen === 'string' ? [chosen] : chosen;
    const queues: string[] = [];
    for (const key of keys) {
      const list = dest.routes.get(key);
      if (list === undefined) throw new UnknownRouteError(String(key), [...dest.routes.keys()]);
      queues.push(...list);
    }
    return queues;
  }

  /** The next step of the iterator, or undefined when `waitMs` passes or the node stops pulling first. */
  private race(pending: Promise<IteratorResult<unknown>>, waitMs: number): Promise<Step> {
    if (!this.pulling) return Promise.resolve(undefined);
    return new Promise<Step>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      // A step that comes after this race timed out settles nothing of the next race, which waits on the same promise.
      const wake = (): void => {
        settle();
        resolve(undefined);
      };
      const settle = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        if (this.wake === wake) this.wake = undefined;
      };
      if (waitMs !== Infinity) {
        timer = setTimeout(
          () => {
            settle();
            resolve(undefined);
          },
          Math.max(0, waitMs),
        );
      }
      this.wake = wake;
      pending.then(
        (step) => {
          settle();
          resolve(step);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  }
}
