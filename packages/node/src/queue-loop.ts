/**
 * The loop of a node that reads a queue: pull a batch, run it (through the interceptors and counters of
 * batch-runs.ts, by the executor of batch-executor.ts), and pull again while the node is running. With
 * `batchesInFlight` > 1 batches overlap (see batch-pipeline.ts): the next batch is pulled while those before wait for
 * their confirms, up to the window, and publishes go through the node's ordered lane (laned-adapter.ts) so outputs
 * keep their order.
 *
 * The loop ends when the node stops running (a drain: every batch in flight finishes and settles first) or fails (at
 * once: the consumer closes under the batches still in flight, and their messages are redelivered). The node's
 * lifecycle stays in node.ts; the loop sees it through `QueueLoopNode`.
 */
import { BatchExecutor } from './batch-executor.js';
import { BatchWindow, SettleTurn } from './batch-pipeline.js';
import type { BatchRuns } from './batch-runs.js';
import type { NodeContext, NodeInfo } from './definition.js';
import { ConsumerClosedError, StreamFailureError } from './errors.js';
import { EventLoopYielder } from './event-loop.js';
import type { HeldRetries } from './held-retries.js';
import type { Logger } from './logger.js';
import { LanedAdapter } from './laned-adapter.js';
import type { NodeSpec } from './recipe.js';
import type {
  DelayedRetryCapable,
  Delivery,
  StreamAdapter,
  StreamConsumer,
} from './stream-adapter.js';

/** What the loop needs of its node. */
export interface QueueLoopNode {
  readonly spec: NodeSpec;
  readonly adapter: StreamAdapter;
  /** The adapter, when it can retry later itself; else `held` holds the retries. */
  readonly delayedRetry: DelayedRetryCapable | undefined;
  readonly held: HeldRetries | undefined;
  readonly info: NodeInfo;
  readonly shared: NodeContext;
  readonly logger: Logger;
  readonly random: () => number;
  readonly runs: BatchRuns;
  /** Aborted when the node stops pulling: wakes a pending `nextBatch`. */
  readonly pullSignal: AbortSignal;
  /** True while the node is running: the loop pulls until it is not. */
  running(): boolean;
  /** True once the node gave up on its batches in flight. */
  readonly abandoned: () => boolean;
  /** The failure that stops the node, once there is one: the loop throws it. */
  fatal(): unknown;
  /** A batch failed or met a stream failure: the node stops pulling and fails with `error` (the first one counts). */
  fail(error: unknown): void;
}

/** Pulls and runs batches from `consumer` until the node stops running; rejects with the failure that stopped it. */
export async function runQueueLoop(node: QueueLoopNode, consumer: StreamConsumer): Promise<void> {
  const { spec } = node;
  // Batches in flight publish through an ordered lane, so outputs keep their order.
  const laned = spec.batchesInFlight > 1 ? new LanedAdapter(node.adapter) : undefined;
  try {
    await pullAndRun(node, consumer, laned ?? node.adapter);
  } finally {
    laned?.closeLane();
  }
}

async function pullAndRun(
  node: QueueLoopNode,
  consumer: StreamConsumer,
  adapter: StreamAdapter,
): Promise<void> {
  const { spec, runs } = node;
  const executor = new BatchExecutor({
    spec,
    adapter,
    delayedRetry: node.delayedRetry,
    held: node.held,
    shared: node.shared,
    logger: node.logger,
    random: node.random,
    aborted: () => node.shared.signal.aborted,
    abandoned: node.abandoned,
    streamFailed: (error) => node.fail(new StreamFailureError('place', node.info.name, error)),
  });
  const pull = { max: spec.batchSize, timeoutMs: spec.batchTimeoutMs, signal: node.pullSignal };
  const window = spec.batchesInFlight > 1 ? new BatchWindow(spec.batchesInFlight) : undefined;
  const yielder = new EventLoopYielder();
  while (node.running()) {
    if (window?.full === true) {
      await window.slot();
      continue;
    }
    let deliveries: Delivery[];
    try {
      deliveries = await consumer.nextBatch(pull);
    } catch (error) {
      if (!node.running() && error instanceof ConsumerClosedError) break;
      throw new StreamFailureError('pull', node.info.name, error);
    }
    if (node.fatal() !== undefined) throw node.fatal();
    if (deliveries.length === 0) continue;
    // A drain that began while this batch was filling cut it short: it is in the node's hands, so it is finished
    // like any batch in flight (the loop ends after it).
    if (window === undefined) {
      await runs.run(deliveries.length, spec.source, () => executor.execute(deliveries, consumer));
    } else {
      overlap(node, window, deliveries, executor, consumer);
    }
    if (node.fatal() !== undefined) throw node.fatal();
    const turn = yielder.maybeYield();
    if (turn !== undefined) await turn;
  }
  // Drain: every batch in flight finishes and settles before the consumer closes. (A failure does not wait: the
  // consumer closes under the others, and their messages are redelivered.)
  if (window !== undefined) await window.empty();
  if (node.fatal() !== undefined) throw node.fatal();
}

/** Starts a batch beside those in flight; it settles after them (see batch-pipeline.ts). */
function overlap(
  node: QueueLoopNode,
  window: BatchWindow,
  deliveries: readonly Delivery[],
  executor: BatchExecutor,
  consumer: StreamConsumer,
): void {
  const ticket = window.enter(deliveries.length);
  const turn = new SettleTurn(consumer, ticket);
  node.runs
    .run(deliveries.length, node.spec.source, () => executor.execute(deliveries, turn, turn))
    .then(
      () => window.leave(ticket),
      (error: unknown) => {
        window.leave(ticket);
        node.fail(error);
      },
    );
}
