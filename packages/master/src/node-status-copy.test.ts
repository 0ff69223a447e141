import { KIND_SPECS, MmopCodec, freshNodeStatus } from '@monomyth/mmop';
import type { NodeStatus } from '@monomyth/mmop';
import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { copyNodeStatus } from './node-status-copy.js';

const status = (fields: Partial<NodeStatus>): NodeStatus => ({
  ...freshNodeStatus('a1', 'A', 'running'),
  ...fields,
});

describe('node status copy', () => {
  it('copy - every figure of the new status, optional fields absent stay absent (never undefined, which msgpack sends as nil)', () => {
    const kept = status({ processed: 1, latencyP50Ms: 2, latencyP99Ms: 3, published: 4 });
    const next = status({
      state: 'draining',
      processed: 9,
      failed: 1,
      retried: 2,
      inFlight: 3,
      batches: 4,
      restarts: 1,
    });
    expect(copyNodeStatus(kept, next)).toBe(kept);
    expect(kept).toEqual(next);
    expect(Object.keys(kept).sort()).toEqual(Object.keys(next).sort());
    // What the master sends about it still encodes (an `undefined` field would not survive the round trip).
    const codec = new MmopCodec();
    const frames = codec.encode({ kind: 'HEARTBEAT', masterEpoch: 'e', nodes: [kept] });
    expect(codec.decode(frames)).toMatchObject({ nodes: [next] });
  });

  it('copy - covers every field MMOP/1 defines for a node status (a field added there and not here fails)', () => {
    const fields = Object.keys(KIND_SPECS.HEARTBEAT.body.properties.nodes.items.properties).sort();
    const kept = status({});
    // A distinct value for each field, strings where the schema has strings.
    const next = Object.fromEntries(
      fields.map((field, i) => [
        field,
        typeof kept[field as keyof NodeStatus] === 'string' ? `v${i}` : i + 1,
      ]),
    ) as unknown as NodeStatus;
    copyNodeStatus(kept, { ...next, name: kept.name, type: kept.type });
    expect(kept).toEqual({ ...next, name: kept.name, type: kept.type });
  });

  it('cluster - a heartbeat of the same nodes updates the kept status in place; the decoded one is not kept', () => {
    const cluster = new Cluster();
    const { worker } = cluster.register(
      {
        kind: 'READY',
        workerId: 'w1',
        host: 'h',
        pid: 1,
        capacity: 4,
        recipes: [{ type: 'A' }],
        nodes: [],
      },
      Buffer.from('i'),
      0,
      false,
    );
    cluster.heartbeat(worker, [status({ processed: 1 })], 0, 1);
    const kept = worker.nodes.get('a1')!.status;
    const second = status({ processed: 5, latencyP50Ms: 1 });
    cluster.heartbeat(worker, [second], 0, 2);
    expect(worker.nodes.get('a1')!.status).toBe(kept);
    expect(worker.nodes.get('a1')!.status).not.toBe(second);
    expect(kept).toEqual(second);
  });
});
