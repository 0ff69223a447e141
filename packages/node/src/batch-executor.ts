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
import {
  BodyCodecError,
  RedeliveryLimitError,
  UnknownRouteError,
  describeError,
} from './errors.js';
import type { NodeStep } from './errors.js';
import type { BodyCodec } from './codecs.js';
import type { Route, Transform } from './definition.js';
import { checkInput } from './input-schema.js';
import type { StandardSchemaV1 } from './input-schema.js';
import type { BatchOutcome } from './interceptors.js';
import { BatchResult, OrderedSlots } from './batch-result.js';
import type { MessageSink } from './batch-result.js';
import { MessageContext } from './message-context.js';
import { settleBatch } from './batch-settlement.js';
import type { BatchEnvironment } from './batch-settlement.js';
import type { Delivery, OutgoingMessage, StreamConsumer } from './stream-adapter.js';
import type { PublishOrder } from './batch-settlement.js';

export type { BatchEnvironment } from './batch-settlement.js';

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
  /** Checked after decoding, before the transform; see input-schema.ts. */
  private readonly inputSchema: StandardSchemaV1 | undefined;
  private readonly sink: boolean;
  /** The one queue every output goes to, when there is exactly one: the common case, with the fewest steps. */
  private readonly singleQueue: string | undefined;
  private readonly fixedQueues: readonly string[];
  private readonly routes: ReadonlyMap<string, readonly string[]>;
  private readonly maxRedeliveries: number;

  constructor(private readonly env: BatchEnvironment) {
    const { spec } = env;
    this.maxRedeliveries = spec.retry.maxRedeliveries;
    this.transform = spec.definition.transform as Transform<unknown, unknown>;
    this.route = spec.definition.route as Route<unknown, string> | undefined;
    this.codec = spec.codec;
    this.inputSchema = spec.definition.inputSchema;
    this.sink = spec.dest.kind === 'sink';
    this.fixedQueues = spec.dest.kind === 'fixed' ? spec.dest.queues : [];
    this.singleQueue = this.fixedQueues.length === 1 ? this.fixedQueues[0] : undefined;
    this.routes = spec.dest.kind === 'routed' ? spec.dest.routes : new Map();
  }

  /**
   * Runs one batch; see the file header. With `order` (batches overlap), its publish waits for the batch before it to
   * publish, and `consumer` settles after that batch ended (see batch-pipeline.ts).
   */
  execute(
    batch: readonly Delivery[],
    consumer: StreamConsumer,
    order?: PublishOrder,
  ): Promise<BatchOutcome> {
    const n = batch.length;
    const result = new BatchResult(batch);
    if (Math.min(this.env.spec.concurrency, n) > 1)
      return this.executeConcurrently(batch, result, consumer, order);
    // Synchronous transforms run the whole batch without an await: one promise per batch, not one per message.
    for (let i = 0; i < n; i++) {
      const pending = this.transformInOrder(batch[i] as Delivery, i, result);
      if (pending !== undefined)
        return this.continueInOrder(batch, i, pending, result, consumer, order);
    }
    return settleBatch(this.env, n, result, consumer, order);
  }

  /** The rest of an ordered batch once a transform returned a promise. */
  private async continueInOrder(
    batch: readonly Delivery[],
    from: number,
    pending: Promise<void>,
    result: BatchResult,
    consumer: StreamConsumer,
    order: PublishOrder | undefined,
  ): Promise<BatchOutcome> {
    await pending;
    for (let i = from + 1; i < batch.length; i++) {
      const next = this.transformInOrder(batch[i] as Delivery, i, result);
      if (next !== undefined) await next;
    }
    return settleBatch(this.env, batch.length, result, consumer, order);
  }

  private async executeConcurrently(
    batch: readonly Delivery[],
    result: BatchResult,
    consumer: StreamConsumer,
    order: PublishOrder | undefined,
  ): Promise<BatchOutcome> {
    const n = batch.length;
    const slots = new OrderedSlots(n);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        const pending = this.transformOne(batch[i] as Delivery, i, slots);
        if (pending !== undefined) await pending;
      }
    };
    const lanes: Promise<void>[] = [];
    for (let k = 0; k < Math.min(this.env.spec.concurrency, n); k++) lanes.push(lane());
    await Promise.all(lanes);
    slots.replay(batch, result);
    return settleBatch(this.env, n, result, consumer, order);
  }

  /**
   * `transformOne` for messages taken one at a time, straight into the batch result, with the common case (one
   * output, one queue) inlined: this is the hot path of most nodes.
   */
  private transformInOrder(
    delivery: Delivery,
    i: number,
    result: BatchResult,
  ): Promise<void> | undefined {
    const queue = this.singleQueue;
    if (queue === undefined || this.inputSchema !== undefined || delivery.redelivered)
      return this.transformOne(delivery, i, result);
    const input = this.decode(result, i, delivery);
    if (input === FAILED) return undefined;
    const output = this.runTransform(result, i, delivery, input);
    if (output === FAILED) return undefined;
    if (
      output === undefined ||
      (typeof output === 'object' &&
        output !== null &&
        (isPromiseLike(output) || Array.isArray(output)))
    ) {
      return this.settleOutput(result, i, delivery, output);
    }
    let body: Uint8Array;
    try {
      body = this.codec.encode(output);
    } catch (error) {
      this.fail(result, i, delivery, 'place', codecError(this.codec, 'encode', error));
      return undefined;
    }
    result.ends[i] = result.publishes.push({ queue, body });
    result.processed += 1;
    return undefined;
  }

  /** The rest of `transformOne` once the transform returned: wait for a promise, then place. */
  private settleOutput(
    sink: MessageSink,
    i: number,
    delivery: Delivery,
    output: unknown,
  ): Promise<void> | undefined {
    if (isPromiseLike(output)) {
      return Promise.resolve(output).then(
        (value) => this.place(sink, i, delivery, value),
        (error: unknown) => this.fail(sink, i, delivery, 'transform', error),
      );
    }
    this.place(sink, i, delivery, output);
    return undefined;
  }

  private transformOne(
    delivery: Delivery,
    i: number,
    sink: MessageSink,
  ): Promise<void> | undefined {
    // Only redeliveries are counted: a first delivery costs one property read. A message over the limit keeps
    // crashing (or stalling) whoever runs it: fail it instead of running it again.
    if (delivery.redelivered) {
      const count = delivery.redeliveryCount;
      if (count !== undefined && count > this.maxRedeliveries) {
        this.fail(sink, i, delivery, 'pull', new RedeliveryLimitError(count, this.maxRedeliveries));
        return undefined;
      }
    }
    let input = this.decode(sink, i, delivery);
    if (input === FAILED) return undefined;
    if (this.inputSchema !== undefined) {
      try {
        input = checkInput(this.inputSchema, input);
      } catch (error) {
        this.fail(sink, i, delivery, 'pull', error);
        return undefined;
      }
      if (input instanceof Promise) {
        return input.then(
          (checked: unknown) => this.transformChecked(sink, i, delivery, checked),
          (error: unknown) => this.fail(sink, i, delivery, 'pull', error),
        );
      }
    }
    return this.transformChecked(sink, i, delivery, input);
  }

  /** The transform and what follows, for an input decoded (and checked against the input schema, if any). */
  private transformChecked(
    sink: MessageSink,
    i: number,
    delivery: Delivery,
    input: unknown,
  ): Promise<void> | undefined {
    const result = this.runTransform(sink, i, delivery, input);
    return result === FAILED ? undefined : this.settleOutput(sink, i, delivery, result);
  }

  /** Decodes a delivery's body; a body the codec refuses fails the message at step pull. */
  private decode(sink: MessageSink, i: number, delivery: Delivery): unknown {
    try {
      return this.codec.decode(delivery.body);
    } catch (error) {
      this.fail(sink, i, delivery, 'pull', codecError(this.codec, 'decode', error));
      return FAILED;
    }
  }

  /** Calls the transform (a promise it returns is the caller's); a throw fails the message at step transform. */
  private runTransform(sink: MessageSink, i: number, delivery: Delivery, input: unknown): unknown {
    try {
      return this.transform(input, new MessageContext(this.env.shared, delivery));
    } catch (error) {
      this.fail(sink, i, delivery, 'transform', error);
      return FAILED;
    }
  }

  /** Routes and encodes a message's outputs; a failure here fails the message at step place, with none published. */
  private place(sink: MessageSink, i: number, delivery: Delivery, result: unknown): void {
    if (this.sink || result === undefined) {
      sink.none(i, delivery);
      return;
    }
    try {
      if (this.singleQueue !== undefined && !Array.isArray(result)) {
        sink.one(i, delivery, { queue: this.singleQueue, body: this.encode(result) });
        return;
      }
      const out: OutgoingMessage[] = [];
      if (Array.isArray(result)) {
        for (const value of result as unknown[])
          if (value !== undefined) this.addOutputs(value, out);
      } else {
        this.addOutputs(result, out);
      }
      if (out.length === 0) sink.none(i, delivery);
      else if (out.length === 1) sink.one(i, delivery, out[0] as OutgoingMessage);
      else sink.many(i, delivery, out);
    } catch (error) {
      this.fail(sink, i, delivery, 'place', error);
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
    for (const queue of queues) out.push({ queue, body });
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

  private fail(
    sink: MessageSink,
    i: number,
    delivery: Delivery,
    step: NodeStep,
    error: unknown,
  ): void {
    if (this.env.aborted()) sink.aborted(i, delivery);
    else sink.failed(i, delivery, { step, error });
  }
}

/** What `decode` and `runTransform` return once they have failed the message: no codec or transform returns it. */
const FAILED: unique symbol = Symbol('failed');

/**
 * What a codec threw, as a BodyCodecError. Only a BodyCodecError passes as is: any other error, a NonRetryableError
 * included (`instanceof` checks each class's own brand), becomes the cause of one.
 */
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
