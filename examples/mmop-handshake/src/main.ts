/**
 * MMOP/1 on real sockets: a master's ROUTER, a worker's DEALER and a control client's DEALER on tcp loopback. The
 * worker registers and heartbeats, the control client pings and asks for the workers, then sends garbage and gets an
 * ERROR reply instead of silence. Every message is printed as it is received.
 */
import { Dealer, Router } from 'zeromq';
import { MmopCodec, MmopDecodeError, Status, truncateText } from '@monomyth/mmop';
import type { MmopMessage, WorkerInfo } from '@monomyth/mmop';

const codec = new MmopCodec();
const MASTER_EPOCH = `epoch-${process.pid}`;

function show(from: string, to: string, message: MmopMessage, bytes: number): void {
  const { kind, ...body } = message;
  console.log(
    `${from.padEnd(7)} -> ${to.padEnd(7)} ${kind.padEnd(14)} ${String(bytes).padStart(4)} B  ${JSON.stringify(body)}`,
  );
}

function frameBytes(frames: Uint8Array[]): number {
  return frames.reduce((sum, frame) => sum + frame.byteLength, 0);
}

/** The master's side: answers what it receives, as the real master will. */
async function serveMaster(router: Router): Promise<void> {
  const workers = new Map<string, WorkerInfo>();
  for await (const frames of router) {
    let envelope;
    try {
      envelope = codec.decodeEnvelope(frames);
    } catch (error) {
      if (!(error instanceof MmopDecodeError) || !frames[0]) throw error;
      console.log(`control -> master  (garbage)          ${error.code}: ${error.message}`);
      const status =
        error.code === 'UNSUPPORTED_VERSION' ? Status.VersionNotSupported : Status.BadRequest;
      const reason = truncateText(error.message);
      const { requestId, code } = error;
      await router.send(
        codec.encodeEnvelope(frames[0], { kind: 'ERROR', requestId, status, code, reason }),
      );
      continue;
    }
    const { identity, message } = envelope;
    const peer =
      message.kind === 'READY' || message.kind === 'HEARTBEAT' || message.kind === 'BYE'
        ? 'worker'
        : 'control';
    show(peer, 'master', message, frameBytes(frames) - identity.byteLength);
    const reply = (answer: MmopMessage): Promise<void> =>
      router.send(codec.encodeEnvelope(identity, answer));
    switch (message.kind) {
      case 'READY':
        workers.set(message.workerId, {
          workerId: message.workerId,
          host: message.host,
          pid: message.pid,
          capacity: message.capacity,
          state: 'active',
          lastSeenMsAgo: 0,
          types: message.recipes.map((recipe) => recipe.type),
          nodes: [],
        });
        await reply({
          kind: 'REGISTERED',
          workerId: message.workerId,
          heartbeatIntervalMs: 100,
          heartbeatMisses: 3,
          masterEpoch: MASTER_EPOCH,
        });
        break;
      case 'HEARTBEAT':
        await reply({ kind: 'HEARTBEAT-ACK', masterEpoch: MASTER_EPOCH });
        break;
      case 'PING':
        await reply({ kind: 'PONG', requestId: message.requestId, masterEpoch: MASTER_EPOCH });
        break;
      case 'WORKER-INFO':
        await reply({
          kind: 'INFO-RESPONSE',
          requestId: message.requestId,
          workers: [...workers.values()],
        });
        break;
      case 'BYE':
        workers.clear();
        return;
      default:
        break;
    }
  }
}

async function receive(socket: Dealer, name: string): Promise<MmopMessage> {
  const frames = await socket.receive();
  const message = codec.decode(frames);
  show('master', name, message, frameBytes(frames));
  return message;
}

async function main(): Promise<void> {
  const router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:*');
  const endpoint = router.lastEndpoint!;
  console.log(`master bound at ${endpoint}; speaking MMOP/1\n`);
  const serving = serveMaster(router);

  const worker = new Dealer({ linger: 0, routingId: `monomyth-worker-${process.pid}` });
  worker.connect(endpoint);
  await worker.send(
    codec.encode({
      kind: 'READY',
      workerId: `monomyth-worker-${process.pid}`,
      host: 'localhost',
      pid: process.pid,
      capacity: 8,
      recipes: [
        { type: 'TEST-NODE1', batchSize: 10 },
        { type: 'TEST-NODE2', batchSize: 10 },
      ],
      nodes: [],
    }),
  );
  await receive(worker, 'worker');
  for (let beat = 1; beat <= 2; beat++) {
    await worker.send(codec.encode({ kind: 'HEARTBEAT', masterEpoch: MASTER_EPOCH, nodes: [] }));
    await receive(worker, 'worker');
  }

  const control = new Dealer({ linger: 0 });
  control.connect(endpoint);
  const started = process.hrtime.bigint();
  await control.send(codec.encode({ kind: 'PING', requestId: 'ping-1' }));
  await receive(control, 'control');
  const roundTripUs = Number(process.hrtime.bigint() - started) / 1000;
  await control.send(codec.encode({ kind: 'WORKER-INFO', requestId: 'info-1' }));
  await receive(control, 'control');
  await control.send([
    Buffer.from('MMOP/1'),
    Buffer.from('START-NODE-REQUEST'),
    Buffer.from([0x81, 0xa9, ...Buffer.from('requestId'), 0xa2, 0x72, 0x31]),
  ]);
  await receive(control, 'control');

  await worker.send(codec.encode({ kind: 'BYE', reason: 'demo finished' }));
  await serving;
  console.log(
    `\nFirst PING round trip (connection set-up included): ${roundTripUs.toFixed(0)} us.`,
  );
  console.log('Every message above crossed real ZeroMQ sockets through the MMOP/1 codec.');
  worker.close();
  control.close();
  router.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
