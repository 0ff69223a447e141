/**
 * The context a transform gets. One small object per message: the node-wide parts are read through the shared
 * context, the message's parts through its delivery, so nothing is copied.
 */
import type { Logger } from './logger.js';
import type { NodeContext, NodeInfo, TransformContext } from './definition.js';
import type { Delivery, MessageHeaders } from './stream-adapter.js';

export class MessageContext implements TransformContext {
  readonly #shared: NodeContext;
  readonly #delivery: Delivery;

  constructor(shared: NodeContext, delivery: Delivery) {
    this.#shared = shared;
    this.#delivery = delivery;
  }

  get node(): NodeInfo {
    return this.#shared.node;
  }

  get logger(): Logger {
    return this.#shared.logger;
  }

  get signal(): AbortSignal {
    return this.#shared.signal;
  }

  get options(): Readonly<Record<string, unknown>> {
    return this.#shared.options;
  }

  get queue(): string {
    return this.#delivery.queue;
  }

  get headers(): MessageHeaders {
    return this.#delivery.headers;
  }

  get attempt(): number {
    return this.#delivery.attempt;
  }

  get redelivered(): boolean {
    return this.#delivery.redelivered;
  }
}
