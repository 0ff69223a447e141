/** A codec with the default limits, for callers that need no other. */
import { MmopCodec } from './codec.js';
import type { Envelope, Frames, IncomingFrames } from './codec.js';
import type { MmopMessage } from './messages.js';

const codec = new MmopCodec();

export function encode(message: MmopMessage): Frames {
  return codec.encode(message);
}

export function encodeEnvelope(identity: Uint8Array, message: MmopMessage): Frames {
  return codec.encodeEnvelope(identity, message);
}

export function decode(frames: IncomingFrames): MmopMessage {
  return codec.decode(frames);
}

export function decodeEnvelope(frames: IncomingFrames): Envelope {
  return codec.decodeEnvelope(frames);
}
