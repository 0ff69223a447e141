/**
 * The frames that settle a consumer's deliveries: one `multiple` frame for the run of tags below the oldest delivery
 * still held (every tag there is settled now or was before), then one frame per remaining tag. A node's whole batch,
 * settled in order, costs one frame.
 */
import type { Channel, Message } from 'amqplib';

export type SettleHow = 'ack' | 'requeue' | 'dead-letter';

/** Sends the frames settling `tags` (ascending, distinct) on `channel`; `oldestHeld` is the oldest tag still held. */
export function sendSettlement(
  channel: Channel,
  tags: readonly number[],
  oldestHeld: number,
  how: SettleHow,
): void {
  let i = 0;
  while (i < tags.length && (tags[i] as number) < oldestHeld) i += 1;
  if (i > 0) send(channel, tags[i - 1] as number, true, how);
  for (; i < tags.length; i++) send(channel, tags[i] as number, false, how);
}

function send(channel: Channel, tag: number, multiple: boolean, how: SettleHow): void {
  if (how === 'ack') channel.ack(tagOnly(tag), multiple);
  else channel.nack(tagOnly(tag), multiple, how === 'requeue');
}

/** amqplib settles by a message's `fields.deliveryTag` only. */
function tagOnly(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message;
}
