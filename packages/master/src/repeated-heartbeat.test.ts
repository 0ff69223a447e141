import { describe, expect, it } from 'vitest';
import { MmopCodec, freshNodeStatus } from '@monomyth/mmop';
import {
  MAX_REMEMBERED_BODY_BYTES,
  rememberHeartbeat,
  repeatedHeartbeat,
} from './repeated-heartbeat.js';
import type { PeerRoles } from './security.js';
import { WorkerRecord } from './worker-record.js';

const codec = new MmopCodec();
const identity = Buffer.from('w-1');

function heartbeatFrames(processed = 0): Buffer[] {
  const nodes = [{ ...freshNodeStatus('A-1', 'A', 'running'), processed }];
  return [identity, ...codec.encode({ kind: 'HEARTBEAT', masterEpoch: 'e-1', nodes })];
}

function setUp(): { worker: WorkerRecord; cluster: { workerByIdentity: () => WorkerRecord } } {
  const worker = new WorkerRecord('w-1', identity, 'host', 1, 4, 0);
  return { worker, cluster: { workerByIdentity: () => worker } };
}

const roles = (worker: boolean): PeerRoles => ({
  publicKey: 'k',
  instance: 'i',
  worker,
  controller: !worker,
});

describe('repeated heartbeats', () => {
  it('repeat - matches only the exact bytes of the body last taken in', () => {
    const { worker, cluster } = setUp();
    const frames = heartbeatFrames();
    expect(repeatedHeartbeat(frames, undefined, cluster)).toBeUndefined();
    rememberHeartbeat(worker, frames[3]!, false);
    expect(repeatedHeartbeat(heartbeatFrames(), undefined, cluster)).toBe(worker);
    expect(repeatedHeartbeat(heartbeatFrames(1), undefined, cluster)).toBeUndefined();
  });

  it('repeat - keeps a copy: the received buffer changing later does not change what is matched', () => {
    const { worker, cluster } = setUp();
    const frames = heartbeatFrames();
    rememberHeartbeat(worker, frames[3]!, false);
    const original = Buffer.from(frames[3]!);
    frames[3]!.fill(0);
    expect(
      repeatedHeartbeat([identity, frames[1]!, frames[2]!, original], undefined, cluster),
    ).toBe(worker);
    // The same size again reuses the copy's memory, with the new bytes.
    const next = heartbeatFrames(7);
    const kept = worker.lastHeartbeat!.body;
    rememberHeartbeat(worker, next[3]!, true);
    expect(worker.lastHeartbeat!.body).toBe(kept);
    expect(worker.lastHeartbeat!.carriesQueues).toBe(true);
    expect(repeatedHeartbeat(heartbeatFrames(7), undefined, cluster)).toBe(worker);
    expect(repeatedHeartbeat(heartbeatFrames(), undefined, cluster)).toBeUndefined();
  });

  it('repeat - another kind, a version near-miss, a frame more or a peer without the worker role take the full path', () => {
    const { worker, cluster } = setUp();
    const frames = heartbeatFrames();
    rememberHeartbeat(worker, frames[3]!, false);
    const [id, version, kind, body] = frames as [Buffer, Buffer, Buffer, Buffer];
    expect(
      repeatedHeartbeat([id, version, Buffer.from('HEARTBEAT-ACK'), body], undefined, cluster),
    ).toBeUndefined();
    expect(
      repeatedHeartbeat([id, Buffer.from('MMOP/1 '), kind, body], undefined, cluster),
    ).toBeUndefined();
    expect(repeatedHeartbeat([id, version, kind, body, body], undefined, cluster)).toBeUndefined();
    expect(repeatedHeartbeat(frames, roles(false), cluster)).toBeUndefined();
    expect(repeatedHeartbeat(frames, roles(true), cluster)).toBe(worker);
    expect(
      repeatedHeartbeat(frames, undefined, { workerByIdentity: () => undefined }),
    ).toBeUndefined();
  });

  it('repeat - a body over the bound is not kept, and forgets the one before', () => {
    const { worker, cluster } = setUp();
    rememberHeartbeat(worker, heartbeatFrames()[3]!, false);
    rememberHeartbeat(worker, Buffer.alloc(MAX_REMEMBERED_BODY_BYTES + 1), false);
    expect(worker.lastHeartbeat).toBeUndefined();
    expect(repeatedHeartbeat(heartbeatFrames(), undefined, cluster)).toBeUndefined();
  });
});
