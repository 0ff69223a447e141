/**
 * Hand-written amqplib pass-through stages, the yardstick of `pnpm bench rmq`: consume from one queue, publish each
 * message to the next with confirms, ack the source once its copy is confirmed. Two ways to ack: `each` acks a message
 * when its confirm arrives (the loop most people write); `multiple` acks with `multiple` the longest run of confirmed
 * messages, once per event-loop turn (a hand-tuned loop).
 */
import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';

/** A consuming and a publishing connection, the way a raw run uses the broker (as a node's adapter does). */
export interface RawConnections {
  readonly consuming: ChannelModel;
  readonly publishing: ChannelModel;
  close(): Promise<void>;
}

export async function openRawConnections(url: string): Promise<RawConnections> {
  const consuming = await connect(url);
  const publishing = await connect(url);
  consuming.on('error', () => {});
  publishing.on('error', () => {});
  return {
    consuming,
    publishing,
    async close() {
      await consuming.close();
      await publishing.close();
    },
  };
}

export interface RawStageOptions {
  readonly from: string;
  readonly to: string;
  readonly prefetch: number;
  readonly ackMultiple: boolean;
  /** Most deliveries to take (a quorum queue can hold a few more than a run's messages); default no limit. */
  readonly limit?: number;
  /** Told of each message whose copy was confirmed. */
  readonly moved: () => void;
}

export interface RawStage {
  /** Stops acking, lets the last acks land, and closes the stage's channels. */
  stop(): Promise<void>;
}

/** Starts a stage on channels of its own over the given connections. */
export async function startRawStage(
  consuming: ChannelModel,
  publishing: ChannelModel,
  options: RawStageOptions,
): Promise<RawStage> {
  const { from, to, prefetch, ackMultiple, moved } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const input: Channel = await consuming.createChannel();
  const output: ConfirmChannel = await publishing.createConfirmChannel();
  input.on('error', () => {});
  output.on('error', () => {});
  await input.prefetch(prefetch);
  let taken = 0;
  let finished = false;
  let flush = (): void => {};

  if (!ackMultiple) {
    await input.consume(
      from,
      (message) => {
        if (message === null || taken === limit) return;
        taken += 1;
        output.sendToQueue(to, message.content, { persistent: true }, (error) => {
          if (error || finished) return; // the run is over (or the broker failed): nothing to ack
          input.ack(message);
          moved();
        });
      },
      { noAck: false },
    );
  } else {
    // Confirms may come out of order: ack, with `multiple`, the longest run of confirmed messages from the oldest.
    const confirmed = new Set<number>();
    let next = 1; // the oldest delivery tag not acked yet
    let scheduled = false;
    flush = (): void => {
      scheduled = false;
      if (finished) return;
      let last = 0;
      while (confirmed.delete(next)) last = next++;
      if (last > 0) input.ack({ fields: { deliveryTag: last } } as ConsumeMessage, true);
    };
    await input.consume(
      from,
      (message) => {
        if (message === null || taken === limit) return;
        taken += 1;
        const tag = message.fields.deliveryTag;
        output.sendToQueue(to, message.content, { persistent: true }, (error) => {
          if (error || finished) return;
          confirmed.add(tag);
          if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
          moved();
        });
      },
      { noAck: false },
    );
  }
  return {
    async stop() {
      flush();
      finished = true;
      // Let the last acks reach the queue (a quorum queue applies them after a channel's close otherwise returns
      // them); closing the channel first makes sure the broker took every ack before the connection goes.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await input.close().catch(() => {});
      await output.close().catch(() => {});
    },
  };
}
