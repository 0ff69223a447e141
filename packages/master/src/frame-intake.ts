/**
 * The way in for every frame the master receives, before and after its dispatch: the CURVE gate (which key sent it, in
 * which role now), decoding, the answer to frames that do not decode, and ERROR 500 for a message whose handling
 * throws. Kept apart from master.ts so the master's file holds the dispatch itself. Nothing a peer sends gets past
 * here as an exception.
 */
import { MmopCodec, ReplyCode, Status, describeRoutingId } from '@monomyth/mmop';
import type { MmopMessage } from '@monomyth/mmop';
import { FrameGate } from './frame-gate.js';
import type { MasterStats } from './http/master-stats.js';
import type { Logger } from './logger.js';
import { MalformedFrames } from './malformed-frames.js';
import type { CompiledMasterOptions } from './options.js';
import type { Replies } from './replies.js';
import type { MasterSecurity, PeerRoles } from './security.js';

export interface FrameIntake {
  readonly codec: MmopCodec;
  /** Undefined without CURVE: every frame is let in. */
  readonly gate: FrameGate | undefined;
  readonly malformed: MalformedFrames;
  readonly replies: Replies;
  readonly stats: MasterStats;
}

/** The intake of a master with these options; `onRefused` hears of frames the gate refuses (frame-gate.ts). */
export function createFrameIntake(
  options: CompiledMasterOptions,
  security: MasterSecurity | undefined,
  parts: { readonly log: Logger; readonly replies: Replies; readonly stats: MasterStats },
  onRefused: (identity: Buffer, peer: PeerRoles | undefined) => void,
): FrameIntake {
  return {
    // What the master decodes is bounded by maxFrameBytes (ZeroMQ already refused larger frames); what it encodes,
    // by the codec limits, so a large INFO-RESPONSE can still go out.
    codec: new MmopCodec({
      ...options.codecLimits,
      maxBodyBytes: Math.min(options.maxFrameBytes, options.codecLimits.maxBodyBytes),
    }),
    gate: security && new FrameGate(security, parts.log, onRefused),
    malformed: new MalformedFrames(parts.log),
    replies: parts.replies,
    stats: parts.stats,
  };
}

/** Handles a decoded message; `body` is its body frame as received. */
export type Dispatch = (
  identity: Buffer,
  message: MmopMessage,
  peer: PeerRoles | undefined,
  body: Buffer,
) => void;

/** Answers a frame set without decoding it when it can (repeated-heartbeat.ts); returns whether it did. */
export type Shortcut = (frames: readonly Buffer[], peer: PeerRoles | undefined) => boolean;

/**
 * Lets one received frame set through the gate, answers it at once if `shortcut` can, else decodes and dispatches it;
 * what fails is answered or dropped.
 */
export function takeFrames(
  intake: FrameIntake,
  frames: Buffer[],
  dispatch: Dispatch,
  shortcut: Shortcut,
): void {
  const { gate, replies, stats } = intake;
  stats.framesReceived += 1;
  // Admitted by ZAP, but which key, in which role now? A peer that cannot say gets nothing, not even ERROR.
  const peer = gate?.sender(frames);
  if (gate && !peer) return;
  if (tryShortcut(shortcut, frames, peer)) return;
  let identity: Buffer;
  let message: MmopMessage;
  try {
    ({ identity, message } = intake.codec.decodeEnvelope(frames));
  } catch (error) {
    stats.framesMalformed += 1;
    const reply = intake.malformed.handle(frames, error);
    if (reply)
      replies.error(reply.identity, reply.requestId, reply.status, reply.code, reply.reason);
    return;
  }
  if (peer && !gate?.allows(identity, peer, message.kind)) return;
  try {
    dispatch(identity, message, peer, frames[frames.length - 1] as Buffer);
  } catch (error) {
    const requestId = 'requestId' in message ? message.requestId : undefined;
    replies.internalError(identity, requestId, error, { kind: message.kind });
  }
}

/** A kind the master sends but never receives: the peer is confused, not malicious. Logged; ERROR if it asked. */
export function unexpectedKind(
  replies: Replies,
  log: Logger,
  identity: Buffer,
  message: MmopMessage,
): void {
  const requestId = 'requestId' in message ? message.requestId : undefined;
  log.warn(
    { kind: message.kind, peer: describeRoutingId(identity) },
    'unexpected message kind for a master',
  );
  if (requestId)
    replies.error(
      identity,
      requestId,
      Status.BadRequest,
      ReplyCode.UnexpectedKind,
      `a master does not accept ${message.kind}`,
    );
}

/** A shortcut that throws (a defect) must not fail the master: the frames then take the full path. */
function tryShortcut(
  shortcut: Shortcut,
  frames: readonly Buffer[],
  peer: PeerRoles | undefined,
): boolean {
  try {
    return shortcut(frames, peer);
  } catch {
    return false;
  }
}
