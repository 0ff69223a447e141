/** What a RabbitMQ consumer hands out. */
import type { Delivery, MessageHeaders } from '@monomyth/node/adapter';
import type { RabbitMqConsumer } from './consumer.js';

/** A delivery from RabbitMQ: the contract's fields, plus its delivery tag and the channel it came on. */
export class RmqDelivery implements Delivery {
  constructor(
    readonly queue: string,
    readonly body: Uint8Array,
    readonly headers: MessageHeaders,
    readonly attempt: number,
    readonly redelivered: boolean,
    readonly deliveryTag: number,
    /** Which of its consumer's channels it came on: a delivery of an earlier one can no longer be settled. */
    readonly channelEpoch: number,
    readonly consumer: RabbitMqConsumer,
    readonly redeliveryCount: number | undefined,
  ) {}
}
