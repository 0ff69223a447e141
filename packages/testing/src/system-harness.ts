/**
 * Test a system in one process: start its nodes on the in-memory adapter (or any adapter), push inputs, collect
 * outputs and failures. For users' unit tests:
 *
 * ```ts
 * await using harness = await startSystem(system);
 * await harness.push(['a b', 'c']);
 * expect(await harness.collect(3)).toEqual(['a', 'b', 'c']);
 * ```
 *
 * Values are encoded and decoded with the codec of the node that reads (for push) or writes (for collect) the queue.
 */
import {
  createNode,
  jsonCodec,
  type BodyCodec,
  type CompiledRetry,
  type Logger,
  type Node,
  type NodeRecipe,
  type System,
} from '@monomyth/node';
import {
  MonomythHeader,
  MonomythError,
  brandError,
  type Delivery,
  type MessageHeaders,
  type StreamAdapter,
} from '@monomyth/node/adapter';
import { MemoryStreamAdapter } from '@monomyth/node/memory';

export interface SystemHarnessOptions {
  /**
   * The adapter to run on, already open; the harness leaves it open. Default: a new in-memory adapter, closed by
   * `stop()`.
   */
  readonly adapter?: StreamAdapter;
  /** The node types to start. Default: all of them. */
  readonly types?: readonly string[];
  /** Instances per node type: one number for all, or per type. Default 1. */
  readonly instances?: number | Readonly<Record<string, number>>;
  /** Changes to recipes, per type, as a master could send them (a smaller batch, fewer retries, ...). */
  readonly recipes?: Readonly<Record<string, RecipeChanges>>;
  readonly logger?: Logger;
  /** Backoff jitter source for the nodes; pin it for exact retry timings. */
  readonly random?: () => number;
  /** How long `collect` and `failures` wait, unless told. Default 5000 ms. */
  readonly timeoutMs?: number;
}

/** Fields of a recipe to change; `retry` is merged field by field. */
export type RecipeChanges = Partial<Omit<NodeRecipe, 'type' | 'retry'>> & {
  readonly retry?: Partial<CompiledRetry>;
};

function changed(recipe: NodeRecipe, changes: RecipeChanges | undefined): NodeRecipe {
  if (changes === undefined) return recipe;
  return { ...recipe, ...changes, retry: { ...recipe.retry, ...(changes.retry ?? {}) } };
}

export interface CollectOptions {
  /** The queue to read. Default: the system's only output queue (`<last>-to-END` in a chain). */
  readonly queue?: string;
  readonly timeoutMs?: number;
}

export interface PushOptions {
  /** The queue to write. Default: the system's only input queue (`START-to-<first>` in a chain). */
  readonly queue?: string;
  readonly headers?: MessageHeaders;
}

/** A message from a fail queue: its value (if it decodes), and why it failed. */
export interface CollectedFailure {
  readonly value: unknown;
  readonly body: Uint8Array;
  readonly headers: MessageHeaders;
  readonly error: string | undefined;
  readonly errorName: string | undefined;
  readonly step: string | undefined;
  readonly attempts: number | undefined;
}

/** The messages expected did not all arrive in time. */
export class CollectTimeoutError extends MonomythError {
  static {
    brandError(this, '@monomyth/testing.CollectTimeoutError');
  }

  readonly code = 'COLLECT_TIMEOUT';
  readonly queue: string;
  readonly received: number;
  readonly expected: number;

  constructor(queue: string, received: number, expected: number, timeoutMs: number) {
    super(`expected ${expected} messages on ${queue} within ${timeoutMs} ms; ${received} arrived`);
    this.queue = queue;
    this.received = received;
    this.expected = expected;
  }
}

export interface SystemHarness extends AsyncDisposable {
  readonly system: System;
  readonly adapter: StreamAdapter;
  readonly nodes: readonly Node[];
  /** Publishes values, durably, to a queue. */
  push(values: readonly unknown[], options?: PushOptions): Promise<void>;
  /** Waits for exactly `count` messages on a queue, acks them, and returns their decoded values in order. */
  collect(count: number, options?: CollectOptions): Promise<unknown[]>;
  /** Waits for exactly `count` messages on the fail queue of `type`, acks them, and returns them with their reasons. */
  failures(
    type: string,
    count: number,
    options?: { readonly timeoutMs?: number },
  ): Promise<CollectedFailure[]>;
  /** Drains every node, then closes the adapter if the harness made it. Rejects if a node had failed. */
  stop(drainTimeoutMs?: number): Promise<void>;
}

/** Starts the nodes of `system` and resolves once every one is running. */
export async function startSystem(
  system: System,
  options: SystemHarnessOptions = {},
): Promise<SystemHarness> {
  const ownAdapter = options.adapter === undefined;
  const adapter = options.adapter ?? new MemoryStreamAdapter();
  if (ownAdapter) await adapter.open();
  const defaultTimeoutMs = options.timeoutMs ?? 5000;
  const types = options.types ?? system.types;
  const nodes: Node[] = [];
  const failures: unknown[] = [];
  let failed: ((error: unknown) => void) | undefined;
  const nodeFailed = new Promise<never>((_, reject) => {
    failed = reject;
  });
  nodeFailed.catch(() => {});

  const codecs = new Map<string, BodyCodec>();
  for (const type of system.types) {
    const spec = system.compile(changed(system.recipe(type), options.recipes?.[type]));
    const written =
      spec.dest.kind === 'fixed'
        ? spec.dest.queues
        : spec.dest.kind === 'routed'
          ? [...spec.dest.routes.values()].flat()
          : [];
    for (const queue of [...written, ...(spec.source === null ? [] : [spec.source])]) {
      if (!codecs.has(queue)) codecs.set(queue, spec.codec);
    }
    codecs.set(spec.failQueue, spec.codec);
  }
  const codecOf = (queue: string): BodyCodec => codecs.get(queue) ?? jsonCodec;

  try {
    for (const type of types) {
      const recipe = changed(system.recipe(type), options.recipes?.[type]);
      const count =
        typeof options.instances === 'number'
          ? options.instances
          : (options.instances?.[type] ?? 1);
      for (let i = 0; i < count; i++) {
        const node = createNode(system, recipe, {
          adapter,
          logger: options.logger,
          random: options.random,
          worker: 'test-harness',
        });
        nodes.push(node);
        node.run().catch((error: unknown) => {
          failures.push(error);
          failed?.(error);
        });
        await node.start();
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    if (ownAdapter) await adapter.close();
    throw error;
  }

  const only = (list: readonly string[], what: string): string => {
    if (list.length !== 1) {
      throw new Error(
        `the system has ${list.length} ${what} queues (${list.join(', ') || 'none'}): say which with { queue }`,
      );
    }
    return list[0] as string;
  };

  async function read(queue: string, count: number, timeoutMs: number): Promise<Delivery[]> {
    await adapter.declareQueue(queue);
    const consumer = await adapter.consume(queue, { maxUnacked: Math.max(1, count) });
    const signal = AbortSignal.timeout(timeoutMs);
    const got: Delivery[] = [];
    try {
      while (got.length < count) {
        const batch = await Promise.race([
          consumer.nextBatch({ max: count - got.length, timeoutMs: 0, signal }),
          nodeFailed,
        ]);
        got.push(...batch);
        if (batch.length > 0) await consumer.ack(batch);
        if (signal.aborted && got.length < count)
          throw new CollectTimeoutError(queue, got.length, count, timeoutMs);
      }
    } finally {
      await consumer.close();
    }
    return got;
  }

  let stopping: Promise<void> | undefined;
  const harness: SystemHarness = {
    system,
    adapter,
    nodes,
    async push(values, pushOptions = {}) {
      const queue = pushOptions.queue ?? only(system.queues.inputs, 'input');
      const codec = codecOf(queue);
      await adapter.declareQueue(queue);
      await adapter.publish(
        values.map((value) => ({ queue, body: codec.encode(value), headers: pushOptions.headers })),
      );
    },
    async collect(count, collectOptions = {}) {
      const queue = collectOptions.queue ?? only(system.queues.outputs, 'output');
      const codec = codecOf(queue);
      const got = await read(queue, count, collectOptions.timeoutMs ?? defaultTimeoutMs);
      return got.map((delivery) => codec.decode(delivery.body));
    },
    async failures(type, count, failureOptions = {}) {
      const spec = system.compile(system.recipe(type));
      const got = await read(spec.failQueue, count, failureOptions.timeoutMs ?? defaultTimeoutMs);
      return got.map((delivery) => {
        let value: unknown;
        try {
          value = spec.codec.decode(delivery.body);
        } catch {
          value = undefined;
        }
        const header = (name: string): string | undefined => {
          const found = delivery.headers[name];
          return found === undefined ? undefined : String(found);
        };
        const attempts = delivery.headers[MonomythHeader.Attempts];
        return {
          value,
          body: delivery.body,
          headers: delivery.headers,
          error: header(MonomythHeader.ErrorMessage),
          errorName: header(MonomythHeader.ErrorName),
          step: header(MonomythHeader.Step),
          attempts: attempts === undefined ? undefined : Number(attempts),
        };
      });
    },
    stop(drainTimeoutMs = defaultTimeoutMs) {
      stopping ??= (async () => {
        await Promise.all(nodes.map((node) => node.drain(drainTimeoutMs)));
        if (ownAdapter) await adapter.close();
        if (failures.length > 0) throw failures[0];
      })();
      return stopping;
    },
    async [Symbol.asyncDispose]() {
      await harness.stop().catch(() => {});
    },
  };
  return harness;
}
