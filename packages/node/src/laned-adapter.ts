/**
 * The adapter as a node with batches in flight sees it: every publish of the node's batches (outputs, fail-queue
 * copies) goes through the node's ordered lane, so they reach their queues in batch order; the rest is the adapter.
 */
import type {
  AdapterCloseOptions,
  ConsumeOptions,
  OutgoingMessage,
  PublishLane,
  StreamAdapter,
  StreamConsumer,
} from './stream-adapter.js';
import { isOrderedPublishCapable } from './stream-adapter.js';
import { PublishQueue } from './publish-queue.js';

export class LanedAdapter implements StreamAdapter {
  private readonly lane: PublishLane;

  /** The adapter's own lane when it is `OrderedPublishCapable`, else one call at a time (publish-queue.ts). */
  constructor(private readonly adapter: StreamAdapter) {
    this.lane = isOrderedPublishCapable(adapter)
      ? adapter.publishLane()
      : new PublishQueue(adapter);
  }

  open(): Promise<void> {
    return this.adapter.open();
  }
  close(options?: AdapterCloseOptions): Promise<void> {
    return this.adapter.close(options);
  }
  declareQueue(queue: string): Promise<void> {
    return this.adapter.declareQueue(queue);
  }
  consume(queue: string, options: ConsumeOptions): Promise<StreamConsumer> {
    return this.adapter.consume(queue, options);
  }
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.lane.publish(messages);
  }

  /** The node's batches are over: the lane frees what it holds once its calls in flight settle. */
  closeLane(): void {
    this.lane.close();
  }
}
