/**
 * Closing a channel or a connection without waiting forever. amqplib's `close()` settles when the broker's close-ok
 * arrives; when the connection dies after the close was sent and before that answer, the promise never settles
 * (the channel or connection only emits 'close'). A close is a goodbye: its failure is of no use to anyone, and the
 * 'close' event is as good an answer as the close-ok.
 */
import type { Channel, ChannelModel } from 'amqplib';

export function closeQuietly(closable: Channel | ChannelModel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      closable.off('close', done);
      resolve();
    };
    closable.once('close', done);
    closable.close().then(done, done);
  });
}
