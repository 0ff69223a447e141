/** The queue options (type, delivery limit, largest message) and the arguments queues are declared with. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_MAX_MESSAGE_BYTES,
  InvalidOptionError,
  compileRabbitMqOptions,
  queueArgumentsFor,
} from '../src/index.js';
import { DEAD_LETTER_EXCHANGE, queueArguments } from '../src/queue-arguments.js';

const url = 'amqp://h';

describe('rabbitmq queue options', () => {
  it('queueType - quorum by default; classic by option; x-queue-type in queueArguments still read; nothing else accepted', () => {
    expect(compileRabbitMqOptions({ url })).toMatchObject({
      queueType: 'quorum',
      deliveryLimit: DEFAULT_DELIVERY_LIMIT,
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    });
    expect(compileRabbitMqOptions({ url, queueType: 'classic' }).queueType).toBe('classic');
    const legacy = compileRabbitMqOptions({
      url,
      queueArguments: { 'x-queue-type': 'classic', 'x-max-length': 5 },
    });
    expect(legacy.queueType).toBe('classic');
    expect(legacy.queueArguments).toEqual({ 'x-max-length': 5 });
    for (const bad of [
      { url, queueType: 'stream' as never },
      { url, queueType: 'quorum' as const, queueArguments: { 'x-queue-type': 'classic' } },
      { url, deliveryLimit: 0 },
      { url, maxMessageBytes: 1.5 },
    ]) {
      expect(() => compileRabbitMqOptions(bad)).toThrow(InvalidOptionError);
    }
  });

  it('queue arguments - source queues dead-letter by name (quorum: at least once, with a delivery limit); fail queues do not', () => {
    const quorum = compileRabbitMqOptions({ url, deliveryLimit: 7 });
    expect(queueArguments('a-to-b', quorum)).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
      'x-dead-letter-routing-key': 'a-to-b',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
      'x-delivery-limit': 7,
    });
    expect(queueArguments('B-fail', quorum)).toEqual({ 'x-queue-type': 'quorum' });
    const classic = compileRabbitMqOptions({ url, queueType: 'classic', deliveryLimit: Infinity });
    expect(queueArguments('a-to-b', classic)).toEqual({
      'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
      'x-dead-letter-routing-key': 'a-to-b',
    });
    expect(queueArguments('B-fail', classic)).toEqual({});
    // For other clients that declare the same queues.
    expect(queueArgumentsFor('a-to-b', { deliveryLimit: 7 })).toEqual(
      queueArguments('a-to-b', quorum),
    );
  });
});
