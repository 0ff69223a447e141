import { describe, expect, it } from 'vitest';
import { MmopCodec } from './codec.js';
import type { MessageOf } from './messages.js';
import { freshNodeStatus } from './node-status.js';

describe('freshNodeStatus', () => {
  it('mmop - a node with nothing counted yet: every count zero, and a HEARTBEAT carrying it is valid MMOP/1', () => {
    const status = freshNodeStatus('T:1', 'T', 'starting');
    expect(status).toEqual({
      name: 'T:1',
      type: 'T',
      state: 'starting',
      processed: 0,
      failed: 0,
      retried: 0,
      inFlight: 0,
      batches: 0,
      restarts: 0,
    });
    const codec = new MmopCodec();
    const heartbeat: MessageOf<'HEARTBEAT'> = {
      kind: 'HEARTBEAT',
      masterEpoch: 'e',
      nodes: [status],
    };
    expect(codec.decode(codec.encode(heartbeat))).toEqual(heartbeat);
  });
});
