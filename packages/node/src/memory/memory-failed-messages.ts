/**
 * `FailedMessagesCapable` on the in-memory broker. Everything happens in one synchronous step in this process, so a
 * peek changes nothing at all (no redelivered flag, no reordering), and a moved copy is in its new queue in the same
 * step that takes the original out: nothing can die in between.
 */
import { UnknownQueueError } from '../errors.js';
import { checkMoveLimit, checkPeekMax, redriveHeaders } from '../failed-messages.js';
import type { MoveMessagesOptions, PeekedMessage } from '../failed-messages.js';
import type { MemoryBroker, MemoryQueue } from './memory-broker.js';
import { MemoryDelivery } from './memory-broker.js';

function queueOf(broker: MemoryBroker, operation: string, name: string): MemoryQueue {
  const queue = broker.queue(name);
  if (queue === undefined) throw new UnknownQueueError(operation, name);
  return queue;
}

export function countMessages(broker: MemoryBroker, queue: string): number {
  return queueOf(broker, 'count messages', queue).ready.length;
}

export function peekMessages(broker: MemoryBroker, queue: string, max: number): PeekedMessage[] {
  checkPeekMax(max);
  const ready = queueOf(broker, 'peek', queue).ready;
  const peeked: PeekedMessage[] = [];
  for (let i = 0; i < Math.min(max, ready.length); i++) {
    const message = ready.at(i) as MemoryDelivery;
    peeked.push({ body: message.body, headers: message.headers });
  }
  return peeked;
}

/**
 * Moves from the head of `from` to the tail of `to`. The copies go in past `to`'s bound (as delayed retries do): an
 * operator's move must not wait on consumers, and nothing waits on it.
 */
export function moveMessages(
  broker: MemoryBroker,
  from: string,
  to: string,
  options: MoveMessagesOptions = {},
): number {
  checkMoveLimit(options.limit);
  const source = queueOf(broker, 'move messages', from);
  const target = queueOf(broker, 'move messages', to);
  const limit = Math.min(options.limit ?? source.ready.length, source.ready.length);
  const nowIso = new Date().toISOString();
  for (let i = 0; i < limit; i++) {
    const original = source.take() as MemoryDelivery;
    const headers = redriveHeaders(original.headers, nowIso);
    target.push(new MemoryDelivery(target.name, original.body, headers, 1, false));
  }
  if (limit > 0) target.dispatch();
  return limit;
}

export function purgeMessages(broker: MemoryBroker, queue: string): number {
  const found = queueOf(broker, 'purge', queue);
  let purged = 0;
  while (found.take() !== undefined) purged += 1;
  return purged;
}
