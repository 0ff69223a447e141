import { describe, expect, it } from 'vitest';
import { MmopCodec } from './codec.js';
import type { MessageOf } from './messages.js';
import { freshNodeStatus } from './node-status.js';
import { NodeStatusSchema } from './wire-shapes.js';

describe('freshNodeStatus', () => {
  it('mmop - a node with nothing counted yet: every count zero, and a HEARTBEAT carrying it is valid MMOP/1', () => {
    const status = freshNodeStatus('T:1', 'T', 'starting');
    // Every count the schema requires, so a count added to NodeStatus and forgotten here fails this test.
    const counts = NodeStatusSchema.required.filter(
      (key) => !['name', 'type', 'state'].includes(key),
    );
    expect(counts).toContain('processed');
    expect(status).toEqual({
      name: 'T:1',
      type: 'T',
      state: 'starting',
      ...Object.fromEntries(counts.map((key) => [key, 0])),
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
