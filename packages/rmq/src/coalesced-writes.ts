/**
 * One socket write per burst of frames instead of one per frame.
 *
 * amqplib queues each channel's frames and a multiplexer moves them to the socket a frame at a time, once per event
 * loop turn: a publish is three frames (method, header, body), so a batch of 10 messages cost 30 `write` calls, each a
 * syscall. Profiling `pnpm bench rmq` put a third of the node process's busy time there. Corking the socket while the
 * multiplexer runs hands the whole burst to the kernel in one `writev` when it uncorks, the same turn: nothing waits
 * longer, and back-pressure works as before (a corked write past the socket's high-water mark still says "wait for
 * drain").
 *
 * It reaches into amqplib's connection (`connection.muxer._readIncoming`, `connection.stream`), checked at run time:
 * when a future amqplib moves them, the connection is left as it is.
 */
import type { ChannelModel } from 'amqplib';

interface MuxLike {
  _readIncoming?: () => void;
}

interface CorkableStream {
  cork?: () => void;
  uncork?: () => void;
}

/** Makes `model`'s connection write each burst of frames in one go (see the file header). Idempotent. */
export function coalesceWrites(model: ChannelModel): void {
  const connection = (
    model as unknown as { connection?: { muxer?: MuxLike; stream?: CorkableStream } }
  ).connection;
  const mux = connection?.muxer;
  const stream = connection?.stream;
  const readIncoming = mux?._readIncoming;
  if (
    mux === undefined ||
    stream === undefined ||
    typeof readIncoming !== 'function' ||
    typeof stream.cork !== 'function' ||
    typeof stream.uncork !== 'function' ||
    Object.prototype.hasOwnProperty.call(mux, '_readIncoming')
  )
    return;
  const socket = stream as Required<CorkableStream>;
  mux._readIncoming = function coalescedReadIncoming(this: MuxLike): void {
    socket.cork();
    try {
      readIncoming.call(this);
    } finally {
      socket.uncork();
    }
  };
}
