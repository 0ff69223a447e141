/**
 * The bytes each heartbeat goes out as. A master may ask (REGISTERED's countersIntervalMs) for new node counters and
 * queue counts only that often; between, a heartbeat whose nodes changed in nothing but their counters is the last
 * report sent again, byte for byte, which the master answers without decoding it. Anything else a heartbeat says goes
 * at once: the master's epoch, a node started or gone, a node's state or restarts, a queue reported or no longer, and
 * the lag once it moves by a heartbeat interval.
 */
import type { Frames, MmopCodec, NodeStatus, QueueCounts } from '@monomyth/mmop';
import { TICK_MS } from './link-protocol.js';

/** What a heartbeat carries. */
export interface HeartbeatContent {
  readonly masterEpoch: string;
  readonly nodes: readonly NodeStatus[];
  readonly lagMs: number;
  /** Undefined while the adapter has given none. */
  readonly queues: readonly QueueCounts[] | undefined;
}

export class HeartbeatReports {
  readonly #codec: MmopCodec;
  #heartbeatIntervalMs = 0;
  /** 0: every heartbeat reports (a master that did not say). */
  #countersIntervalMs = 0;
  /** The last report sent, when, and what it said beyond counters (see #shape). */
  #last: { frames: Frames; at: number; shape: string } | undefined;

  constructor(codec: MmopCodec) {
    this.#codec = codec;
  }

  /** A new registration: its intervals, and no report to repeat yet. */
  registered(heartbeatIntervalMs: number, countersIntervalMs: number | undefined): void {
    this.#heartbeatIntervalMs = heartbeatIntervalMs;
    this.#countersIntervalMs = countersIntervalMs ?? 0;
    this.#last = undefined;
  }

  /** The frames of the heartbeat to send at `now`; throws what the codec throws. */
  frames(content: HeartbeatContent, now: number): Frames {
    const shape = this.#shape(content);
    const last = this.#last;
    // Half an interval of slack: with countersIntervalMs equal to the heartbeat interval, every heartbeat reports.
    const countersDue =
      now - (last?.at ?? 0) >= this.#countersIntervalMs - this.#heartbeatIntervalMs / 2;
    if (last !== undefined && last.shape === shape && !countersDue) return last.frames;
    const frames = this.#codec.encode({
      kind: 'HEARTBEAT',
      masterEpoch: content.masterEpoch,
      nodes: [...content.nodes],
      eventLoopLagMs: content.lagMs,
      ...(content.queues === undefined ? {} : { queues: [...content.queues] }),
    });
    this.#last = { frames, at: now, shape };
    return frames;
  }

  /**
   * What a heartbeat says beyond counters. The lag counts in whole heartbeat intervals: the master judges a stall
   * against its liveness window, several intervals, and finer moves (common while transforms use the CPU) would make
   * every heartbeat new.
   */
  #shape({ masterEpoch, nodes, lagMs, queues }: HeartbeatContent): string {
    let shape = `${masterEpoch}\n${Math.floor(lagMs / Math.max(TICK_MS, this.#heartbeatIntervalMs))}\n`;
    for (const node of nodes)
      shape += `${node.name}\t${node.type}\t${node.state}\t${node.restarts}\n`;
    if (queues !== undefined) for (const counts of queues) shape += `${counts.queue}\t`;
    return shape;
  }
}
