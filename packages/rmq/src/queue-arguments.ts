/**
 * The arguments the adapter declares queues with, so that the broker can take a poison message off a node's hands:
 *
 *   source queue  --(basic.nack, requeue=false; or x-delivery-limit passed)-->  exchange `monomyth.dead-letter`
 *   (x-dead-letter-exchange, x-dead-letter-routing-key: <the queue>)             (direct, durable)
 *                                                                                  |  binding key <the queue>
 *                                                                                  v
 *                                                                                <type>-fail of the consuming node
 *
 * Every queue the adapter declares (but fail queues and retry queues) names the same exchange and its own name as the
 * routing key, so whoever declares a queue first declares it the same way. The binding is made when a node consumes
 * the queue with its `failQueue` (`ConsumeOptions`): the queue name alone cannot tell which node type reads it.
 *
 * Quorum queues dead-letter at most once unless told otherwise; `x-dead-letter-strategy: at-least-once` (which needs
 * `x-overflow: reject-publish`) makes the broker keep the message until the fail queue confirmed it. Their
 * `x-delivery-limit` is the backstop for messages whose consumers die before they can fail them.
 */
import { compileRabbitMqOptions } from './options.js';
import type {
  CompiledRabbitMqOptions,
  QueueArgumentValue,
  RabbitMqAdapterOptions,
} from './options.js';

/** Where the broker sends dead-lettered messages; fail queues are bound to it by source queue name. */
export const DEAD_LETTER_EXCHANGE = 'monomyth.dead-letter';

/**
 * The alternate exchange of `DEAD_LETTER_EXCHANGE`, and its queue: dead letters no fail queue is bound for end here
 * rather than being dropped.
 */
export const UNROUTED_DEAD_LETTERS = 'monomyth.dead-letter.unrouted';

/** Fail queues are `<type>-fail` (see @monomyth/node's `failQueueOf`). */
export const FAIL_QUEUE_SUFFIX = '-fail';

type Arguments = Record<string, QueueArgumentValue>;

type QueueOptions = Pick<CompiledRabbitMqOptions, 'queueType' | 'deliveryLimit' | 'queueArguments'>;

/** The arguments every queue of this type starts from: its type, then the user's own. */
export function baseArguments(options: QueueOptions): Arguments {
  const args: Arguments = {};
  if (options.queueType === 'quorum') args['x-queue-type'] = 'quorum';
  return Object.assign(args, options.queueArguments);
}

/** The arguments of a queue declared with `declareQueue`. */
export function queueArguments(queue: string, options: QueueOptions): Arguments {
  // Where unrouted dead letters end: of the adapter's queue type and nothing else, so that on a cluster it survives
  // the loss of a node as the other queues do (a classic queue lives on one node: while that node is down, it cannot
  // be declared again). An adapter of the other type finds it declared already and keeps it (topology.ts).
  if (queue === UNROUTED_DEAD_LETTERS)
    return options.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
  // A fail queue is where dead letters end: nothing to dead-letter it to, and nobody to crash on its messages.
  if (queue.endsWith(FAIL_QUEUE_SUFFIX)) return baseArguments(options);
  const args: Arguments = {
    'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
    'x-dead-letter-routing-key': queue,
  };
  if (options.queueType === 'quorum') {
    args['x-dead-letter-strategy'] = 'at-least-once';
    args['x-overflow'] = 'reject-publish';
    if (Number.isFinite(options.deliveryLimit)) args['x-delivery-limit'] = options.deliveryLimit;
  }
  return Object.assign(args, baseArguments(options));
}

/** True when the queue's arguments route its dead letters to `DEAD_LETTER_EXCHANGE` under its own name. */
export function deadLettersByName(queue: string, args: Readonly<Arguments> | undefined): boolean {
  return (
    args !== undefined &&
    args['x-dead-letter-exchange'] === DEAD_LETTER_EXCHANGE &&
    args['x-dead-letter-routing-key'] === queue
  );
}

/**
 * The arguments an adapter with `options` declares `queue` with: for other clients (a producer, a reader of outputs)
 * that declare the same queues, since the broker refuses a declaration whose arguments differ (PRECONDITION_FAILED).
 * `channel.assertQueue(queue, { durable: true, arguments: queueArgumentsFor(queue) })` matches an adapter with
 * default options.
 */
export function queueArgumentsFor(
  queue: string,
  options: Pick<RabbitMqAdapterOptions, 'queueType' | 'deliveryLimit' | 'queueArguments'> = {},
): Record<string, QueueArgumentValue> {
  return queueArguments(queue, compileRabbitMqOptions({ url: 'amqp://localhost', ...options }));
}
