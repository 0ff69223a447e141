/**
 * Small helpers for the node tests: put values on a queue, read what nodes wrote, and an adapter wrapper that fails
 * on demand. (@monomyth/testing has fuller ones for users; it depends on this package, so these tests cannot use it.)
 */
import { afterEach, expect, vi } from 'vitest';
import {
  createNode,
  defineSystem,
  jsonCodec,
  type Node,
  type NodeRuntimeOptions,
  type System,
} from '../src/index.js';
import type {
  ConsumeOptions,
  Delivery,
  MessageHeaders,
  OutgoingMessage,
  StreamAdapter,
  StreamConsumer,
} from '../src/adapter.js';
import { MonomythHeader } from '../src/adapter.js';
import type { AnyNodeDefinition } from '../src/definition.js';
import { MemoryStreamAdapter } from '../src/memory/index.js';

export async function openMemory(): Promise<MemoryStreamAdapter> {
  const adapter = new MemoryStreamAdapter();
  await adapter.open();
  return adapter;
}

/** A system (named 't') of one node: what most node tests run. */
export function soloSystem(definition: AnyNodeDefinition): System {
  return defineSystem({ name: 't', nodes: [definition] });
}

/**
 * The nodes a test builds: `track` one (or `started`, which also starts it), and `stopAll` in the file's `afterEach`
 * stops every one, so a failing test leaves no node pulling into the next.
 */
export function nodeTracker(): {
  track: (node: Node) => Node;
  started: (node: Node) => Promise<Node>;
  stopAll: () => Promise<void>;
} {
  const running: Node[] = [];
  const track = (node: Node): Node => {
    running.push(node);
    return node;
  };
  return {
    track,
    async started(node) {
      await track(node).start();
      return node;
    },
    async stopAll() {
      await Promise.all(running.splice(0).map((node) => node.stop()));
    },
  };
}

/**
 * The nodes and in-memory adapters of a test file's tests: registers an `afterEach` (call it at the file's top level)
 * that puts real timers back (a test that faked them may have failed), stops every node tracked, then closes every
 * adapter `openMemory` opened, so a failing test leaves nothing running into the next.
 */
export function memoryNodes(): {
  track: (node: Node) => Node;
  started: (node: Node) => Promise<Node>;
  openMemory: () => Promise<MemoryStreamAdapter>;
  startSolo: (
    adapter: StreamAdapter,
    definition: AnyNodeDefinition,
    inputs: readonly unknown[],
    options?: Omit<NodeRuntimeOptions, 'adapter'>,
  ) => Promise<Node>;
} {
  const { track, started, stopAll } = nodeTracker();
  const adapters: MemoryStreamAdapter[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    await stopAll();
    await Promise.all(adapters.splice(0).map((adapter) => adapter.close()));
  });
  return {
    track,
    started,
    async openMemory() {
      const adapter = await openMemory();
      adapters.push(adapter);
      return adapter;
    },
    /** Starts the node of a one-node system and feeds `inputs` to its source queue: how most node tests begin. */
    async startSolo(adapter, definition, inputs, options = {}) {
      const node = await started(
        createNode(soloSystem(definition), definition.name, { ...options, adapter }),
      );
      await push(adapter, `START-to-${definition.name}`, inputs);
      return node;
    },
  };
}

/** Declares `queue` and publishes each value as JSON (with `headers`, if given). */
export async function push(
  adapter: StreamAdapter,
  queue: string,
  values: readonly unknown[],
  headers?: MessageHeaders,
): Promise<void> {
  await adapter.declareQueue(queue);
  await adapter.publish(values.map((value) => ({ queue, body: jsonCodec.encode(value), headers })));
}

/**
 * Reads exactly `count` messages from `queue` (waiting for them to arrive, event-driven) and acks them. Fails the
 * test if they do not all arrive within `timeoutMs`.
 */
export async function take(
  adapter: StreamAdapter,
  queue: string,
  count: number,
  timeoutMs = 5000,
): Promise<Delivery[]> {
  await adapter.declareQueue(queue);
  const consumer = await adapter.consume(queue, { maxUnacked: Math.max(1, count) });
  const signal = AbortSignal.timeout(timeoutMs);
  const got: Delivery[] = [];
  try {
    while (got.length < count) {
      const batch = await consumer.nextBatch({ max: count - got.length, timeoutMs: 0, signal });
      if (batch.length === 0 && signal.aborted) {
        throw new Error(`only ${got.length} of ${count} messages arrived on ${queue}`);
      }
      got.push(...batch);
      await consumer.ack(batch);
    }
  } finally {
    await consumer.close();
  }
  return got;
}

/**
 * Takes the one message of `failQueue` and checks that it failed for good at its first attempt (non-retryable): at
 * `step`, with an error of class `errorName`.
 */
export async function takeNonRetryable(
  adapter: StreamAdapter,
  failQueue: string,
  step: 'pull' | 'transform' | 'place',
  errorName: string,
): Promise<Delivery> {
  const [failed] = await take(adapter, failQueue, 1);
  expect(failed!.headers).toMatchObject({
    [MonomythHeader.Step]: step,
    [MonomythHeader.ErrorName]: errorName,
    [MonomythHeader.Attempts]: 1,
    [MonomythHeader.NonRetryable]: true,
  });
  return failed!;
}

export async function takeValues(
  adapter: StreamAdapter,
  queue: string,
  count: number,
): Promise<unknown[]> {
  return (await take(adapter, queue, count)).map((delivery) => jsonCodec.decode(delivery.body));
}

/** The ready count of a queue in the in-memory adapter. */
export async function ready(adapter: MemoryStreamAdapter, queue: string): Promise<number> {
  return (await adapter.queueStats(queue)).ready;
}

/** A promise and its resolver, for tests that hold a transform until they let it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** An adapter that hands every call to `inner`: tests extend it and override the calls they change. */
export class PassThroughAdapter implements StreamAdapter {
  constructor(readonly inner: StreamAdapter) {}

  open(): Promise<void> {
    return this.inner.open();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  declareQueue(queue: string): Promise<void> {
    return this.inner.declareQueue(queue);
  }
  consume(queue: string, options: ConsumeOptions): Promise<StreamConsumer> {
    return this.inner.consume(queue, options);
  }
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.inner.publish(messages);
  }
}

/**
 * Wraps an adapter: `failPublish` makes the next publishes reject (counting down), and the wrapper has no
 * `retryLater`, so nodes fall back to holding retries. Everything else passes through.
 */
export class FaultyAdapter extends PassThroughAdapter {
  failPublishes = 0;
  readonly published: OutgoingMessage[][] = [];

  override publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.failPublishes > 0) {
      this.failPublishes -= 1;
      return Promise.reject(new Error('broker said no'));
    }
    this.published.push([...messages]);
    return super.publish(messages);
  }
}
