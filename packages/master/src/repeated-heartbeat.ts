/**
 * Heartbeats that repeat the last one. An idle worker says the same thing every heartbeat, byte for byte: the same
 * nodes with the same counters, the same lag, the same queue counts. At 10,000 workers, decoding those bodies and
 * taking them in cost the master about a quarter of a core, more than anything but ZeroMQ itself. So the master keeps
 * a copy of the last HEARTBEAT body it took in from each worker, and a HEARTBEAT whose body is the same bytes is not
 * decoded: the worker is noted alive, the queue counts it carried count as read again now, and it is acknowledged,
 * which is all the full path would have changed.
 *
 * What the master changes on its own side of a worker's record (it registers again, a node is added on a start's
 * answer or removed on its exit) forgets the copy (cluster.ts), so the next heartbeat takes the full path and its
 * list of nodes is taken in again.
 */
import { PROTOCOL_VERSION } from '@monomyth/mmop';
import type { Cluster } from './cluster.js';
import type { PeerRoles } from './security.js';
import type { WorkerRecord } from './worker-record.js';

/** Bodies larger than this are not kept (a worker with hundreds of nodes): their heartbeats always take the full path. */
export const MAX_REMEMBERED_BODY_BYTES = 64 * 1024;

/** The last HEARTBEAT body a worker's record took in, and whether it carried queue counts. */
export interface RememberedHeartbeat {
  body: Buffer;
  carriesQueues: boolean;
}

const VERSION_FRAME = Buffer.from(PROTOCOL_VERSION);
const KIND_FRAME = Buffer.from('HEARTBEAT');

/**
 * The worker whose last heartbeat these frames (a ROUTER envelope: identity, version, kind, body) repeat exactly, or
 * undefined: then they take the full path (decoding, checks, dispatch). A peer whose key lost the worker role since
 * takes the full path too, where it is refused.
 */
export function repeatedHeartbeat(
  frames: readonly Buffer[],
  peer: PeerRoles | undefined,
  cluster: Pick<Cluster, 'workerByIdentity'>,
): WorkerRecord | undefined {
  if (frames.length !== 4 || (peer !== undefined && !peer.worker)) return undefined;
  const [identity, version, kind, body] = frames as [Buffer, Buffer, Buffer, Buffer];
  if (!kind.equals(KIND_FRAME) || !version.equals(VERSION_FRAME)) return undefined;
  const worker = cluster.workerByIdentity(identity);
  const last = worker?.lastHeartbeat;
  return last !== undefined && last.body.equals(body) ? worker : undefined;
}

/** Keeps a copy of a heartbeat body the master has taken in (reusing the last copy's memory when the size is the same). */
export function rememberHeartbeat(
  worker: WorkerRecord,
  body: Buffer,
  carriesQueues: boolean,
): void {
  if (body.length > MAX_REMEMBERED_BODY_BYTES) {
    worker.lastHeartbeat = undefined;
    return;
  }
  const last = worker.lastHeartbeat;
  if (last !== undefined && last.body.length === body.length) {
    body.copy(last.body);
    last.carriesQueues = carriesQueues;
    return;
  }
  // A copy, so the master holds on to no memory ZeroMQ handed over with the message.
  worker.lastHeartbeat = { body: Buffer.from(body), carriesQueues };
}
