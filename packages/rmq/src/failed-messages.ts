/**
 * `FailedMessagesCapable` on RabbitMQ (see @monomyth/node's failed-messages.ts for the contract). Each operation opens
 * a confirm channel of its own on the consuming connection and closes it when done; nodes' channels are not touched.
 *
 * AMQP 0-9-1 cannot browse a queue, so:
 * - peek takes up to `max` messages with `basic.get` (unacknowledged) and gives them all back with one
 *   `basic.nack` (requeue). Nothing is removed, lost or duplicated. Where they go back: a classic queue puts them at
 *   their old positions, so its order is kept; a quorum queue (RabbitMQ 3.x) puts them behind the messages it still
 *   holds, in their order, so peeking the first N of a quorum fail queue moves those N to its tail (a fail queue's
 *   order carries no meaning: nothing consumes it in order). They also come back marked redelivered, on quorum queues
 *   with `x-delivery-count` one higher (fail queues are declared without a delivery limit, so that never drops them),
 *   and a consumer of the queue at that moment may receive them a little later. A peek that dies half way
 *   (connection lost) gives them back the same way.
 * - move consumes the fail queue (prefetch: one batch), takes what arrives in batches, publishes each copy to the
 *   target (persistent, mandatory) and waits for the broker's confirms, and only then acks the batch's originals with
 *   one `multiple` ack. A copy the broker returns (no such queue) or nacks fails the move and puts the batch's
 *   originals back; if the process or the connection dies in between, the originals go back too, while the confirmed
 *   copies stay: at most duplicated, never lost. It consumes rather than pulling with `basic.get` because RabbitMQ 3.x
 *   settles messages taken with `basic.get` from a quorum queue one command each, and a channel that closes while
 *   more than its queue client's soft limit (`quorum_commands_soft_limit`, 32) of those are still unsent drops them:
 *   the rest of the last batch came back to the fail queue after its copies were confirmed, and a redrive duplicated
 *   up to a batch every time. A consumer's ack is one command, sent before the close.
 */
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AdapterClosedError, redriveHeaders } from '@monomyth/node/adapter';
import { checkMoveLimit, checkPeekMax } from '@monomyth/node/adapter';
import type { MoveMessagesOptions, PeekedMessage } from '@monomyth/node/adapter';
import { closeQuietly } from './close-quietly.js';
import { DeliveryInbox } from './delivery-inbox.js';
import type { ConnectionKeeper } from './connection-keeper.js';
import { KeeperClosedError } from './connection-keeper.js';
import { RabbitMqChannelError } from './errors.js';
import type { QueueTopology } from './topology.js';
import { fromAmqpHeaders, toBuffer } from './wire.js';

/** Messages taken per round of a move, and its consumer's prefetch: each round waits for one round of confirms. */
const MOVE_BATCH = 200;
/** How long a move waits for a delivery before it asks the broker whether the fail queue still holds any. */
const MOVE_IDLE_MS = 100;

export interface FailedMessagesHost {
  readonly keeper: ConnectionKeeper | undefined;
  readonly topology: QueueTopology;
}

export class RabbitMqFailedMessages {
  constructor(private readonly host: FailedMessagesHost) {}

  async count(queue: string): Promise<number> {
    return (await this.host.topology.check(queue, 'count messages')).messageCount;
  }

  async peek(queue: string, max: number): Promise<PeekedMessage[]> {
    checkPeekMax(max);
    await this.host.topology.check(queue, 'peek');
    if (max === 0) return [];
    return this.withChannel('peek', async (channel) => {
      const peeked: PeekedMessage[] = [];
      try {
        for (let i = 0; i < max; i++) {
          const message = await channel.get(queue, { noAck: false });
          if (message === false) break;
          peeked.push({
            body: message.content,
            headers: fromAmqpHeaders(message.properties.headers),
          });
        }
      } finally {
        // Everything taken goes back, in order, whatever happened above.
        if (peeked.length > 0) nackAllQuietly(channel);
      }
      return peeked;
    });
  }

  async move(from: string, to: string, options: MoveMessagesOptions = {}): Promise<number> {
    checkMoveLimit(options.limit);
    const { messageCount } = await this.host.topology.check(from, 'move messages');
    // Checked before anything is taken: a copy to a queue that does not exist would be returned, not stored.
    await this.host.topology.check(to, 'move messages');
    const limit = Math.min(options.limit ?? messageCount, messageCount);
    if (limit === 0) return 0;
    return this.withChannel('move messages', async (channel) => {
      let returned: string | undefined;
      channel.on('return', (message: { fields: { replyText?: string } }) => {
        returned ??= message.fields.replyText ?? 'returned';
      });
      const inbox = new DeliveryInbox();
      channel.once('close', () => inbox.fail(new RabbitMqChannelError('the channel closed')));
      await channel.prefetch(Math.min(MOVE_BATCH, limit));
      const { consumerTag } = await channel.consume(
        from,
        (message) => {
          if (message === null)
            inbox.fail(new RabbitMqChannelError(`the broker cancelled the consumer of ${from}`));
          else inbox.push(message);
        },
        { noAck: false },
      );
      const isEmpty = async (): Promise<boolean> =>
        (await channel.checkQueue(from)).messageCount === 0;
      let moved = 0;
      while (moved < limit) {
        const batch: ConsumeMessage[] = await inbox.take(
          Math.min(MOVE_BATCH, limit - moved),
          MOVE_IDLE_MS,
          isEmpty,
        );
        if (batch.length === 0) break;
        // The last batch: no more deliveries (what the broker sent meanwhile goes back with the channel).
        if (moved + batch.length >= limit) await channel.cancel(consumerTag);
        const nowIso = new Date().toISOString();
        for (const message of batch) {
          const headers = {
            ...redriveHeaders(fromAmqpHeaders(message.properties.headers), nowIso),
          };
          // The broker's count of the original's deliveries does not follow the copy.
          delete headers['x-delivery-count'];
          channel.publish('', to, toBuffer(message.content), {
            persistent: true,
            mandatory: true,
            headers,
          });
        }
        try {
          await channel.waitForConfirms();
        } catch (error) {
          nackAllQuietly(channel);
          throw new RabbitMqChannelError(
            `the broker did not confirm the copies to ${JSON.stringify(to)}; the originals stay in ${JSON.stringify(from)}`,
            { cause: error },
          );
        }
        if (returned !== undefined) {
          nackAllQuietly(channel);
          throw new RabbitMqChannelError(
            `the broker returned copies to ${JSON.stringify(to)} (${returned}); the originals stay in ${JSON.stringify(from)}`,
          );
        }
        // Confirmed: now the originals may go, all of this batch with one ack.
        channel.ack(batch[batch.length - 1] as ConsumeMessage, true);
        moved += batch.length;
      }
      return moved;
    });
  }

  async purge(queue: string): Promise<number> {
    await this.host.topology.check(queue, 'purge');
    return this.withChannel('purge', async (channel) => {
      const { messageCount } = await channel.purgeQueue(queue);
      return messageCount;
    });
  }

  /** Runs `act` on a confirm channel of its own, closed afterwards (which gives back anything still unacked). */
  private async withChannel<T>(
    operation: string,
    act: (channel: ConfirmChannel) => Promise<T>,
  ): Promise<T> {
    const keeper = this.host.keeper;
    if (keeper === undefined) throw new AdapterClosedError(operation, 'not open');
    let channel: ConfirmChannel;
    try {
      channel = await (await keeper.whenUp()).createConfirmChannel();
    } catch (error) {
      if (error instanceof KeeperClosedError) throw new AdapterClosedError(operation, 'closed');
      throw error;
    }
    let channelError: unknown;
    (channel as Channel).on('error', (error: unknown) => {
      channelError = error;
    });
    try {
      return await act(channel);
    } catch (error) {
      throw channelError !== undefined && error !== channelError
        ? new RabbitMqChannelError(`cannot ${operation}: the broker closed the channel`, {
            cause: channelError,
          })
        : error;
    } finally {
      await closeQuietly(channel);
    }
  }
}

/** Gives back everything the channel holds; on a channel already closed, the broker has given it back already. */
function nackAllQuietly(channel: Channel): void {
  try {
    channel.nackAll(true);
  } catch {
    // Closed: its unacknowledged messages went back to their queues with it.
  }
}
