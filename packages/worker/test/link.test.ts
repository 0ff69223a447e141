/**
 * The worker's link to the master, with real ZeroMQ sockets and the real link thread: CURVE with a real master; a
 * worker refused for its name stops with WorkerRefusedError and takes nothing over; a worker the master stops answering
 * opens a new socket, under a new routing id of the same process, and registers again; a worker whose socket cannot
 * go on fails instead of waiting forever.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { ControlClient } from '@monomyth/control';
import { Master } from '@monomyth/master';
import { MmopCodec, readSecretCertificate, writeCertificatePair } from '@monomyth/mmop';
import type { MmopMessage } from '@monomyth/mmop';
import { defineSystem } from '@monomyth/node';
import { eventually } from '@monomyth/testing';
import { WorkerLinkError, WorkerRefusedError } from '../src/index.js';
import type { Worker } from '../src/index.js';
import { cleanupsAfterEach, startWorker as startTestWorker } from './helpers.js';
import type { WorkerOptions } from '../src/index.js';

const defer = cleanupsAfterEach();

const system = defineSystem({
  name: 'link',
  nodes: [{ name: 'DOUBLE', batchSize: 10, batchTimeoutMs: 10, transform: (n: number) => n * 2 }],
});

/** A worker of `system` for `master` that drains for up to 500 ms (200 ms when the test is over). */
function startWorker(master: string, options: Partial<WorkerOptions> = {}): Promise<Worker> {
  return startTestWorker(
    defer,
    { master, system, drainTimeoutMs: 500, ...options },
    undefined,
    200,
  );
}

async function keyPair(dir: string, name: string) {
  const written = await writeCertificatePair(dir, name);
  return readSecretCertificate(written.secretFile);
}

describe('worker - link', () => {
  it('link - a worker and a control client with keys work with a CURVE master', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'monomyth-link-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const masterKeys = await keyPair(join(dir, 'master'), 'master');
    const workerKeys = await keyPair(join(dir, 'workers'), 'w');
    const opsKeys = await keyPair(join(dir, 'controllers'), 'ops');
    const master = await Master.create({
      bind: 'tcp://127.0.0.1:*',
      heartbeatIntervalMs: 100,
      heartbeatMisses: 5,
      curveSecretKey: masterKeys.secretKey,
      workersKeysDir: join(dir, 'workers'),
      controllersKeysDir: join(dir, 'controllers'),
    });
    defer(() => master.close());
    const worker = await startWorker(master.endpoint, {
      id: 'secure-1',
      curveSecretKey: workerKeys.secretKey,
      masterKey: masterKeys.publicKey,
    });
    await eventually(
      () => worker.state,
      (state) => state === 'registered',
    );
    const control = new ControlClient({
      master: master.endpoint,
      curveSecretKey: opsKeys.secretKey,
      masterKey: masterKeys.publicKey,
    });
    defer(() => control.close());
    const started = await control.startNode('DOUBLE', 1);
    expect(started.started).toMatchObject([{ workerId: 'secure-1' }]);
    expect(worker.nodes()).toHaveLength(1);
  });

  it('link - a second worker under a live worker name is refused, stops, and takes nothing over', async () => {
    const master = await Master.create({
      bind: 'tcp://127.0.0.1:*',
      heartbeatIntervalMs: 100,
      heartbeatMisses: 5,
    });
    defer(() => master.close());
    const first = await startWorker(master.endpoint, { id: 'same-name' });
    await eventually(
      () => first.state,
      (state) => state === 'registered',
    );
    const second = await startWorker(master.endpoint, { id: 'same-name' });
    const error = await second.run().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WorkerRefusedError);
    expect(error).toMatchObject({ code: 'NAME_TAKEN' });
    expect(String((error as Error).message)).toContain('same-name');
    // Stopped for good by a refusal: a failure, not a clean stop.
    expect(second.state).toBe('failed');
    // The first is still the one registered, and still heard from.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(first.state).toBe('registered');
    expect(master.workers()).toMatchObject([{ workerId: 'same-name', state: 'active' }]);
    expect(master.workers()[0]!.lastSeenMsAgo).toBeLessThan(300);
  });

  it('link - a socket that fails at run time fails the worker: run() rejects with WorkerLinkError, state failed', async () => {
    // A real fault, not a mock: libzmq refuses an ipc path longer than a socket address holds (ENAMETOOLONG) when the
    // link thread connects, after the worker's options were accepted.
    const endpoint = `ipc://${join(tmpdir(), 'x'.repeat(200))}`;
    const worker = await startWorker(endpoint);
    const error = await worker.run().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WorkerLinkError);
    expect(String((error as Error).message)).toMatch(
      /^the link to the master failed: could not connect to ipc:.*: File name too long$/,
    );
    expect(worker.state).toBe('failed');
    // close() after the failure is a no-op that resolves, and does not turn the failure into a clean stop.
    await worker.close();
    expect(worker.state).toBe('failed');
  });

  it('link - a worker the master stops answering opens a new socket and registers again', async () => {
    // A master of the test's making: it registers the worker, then ignores everything from that routing id.
    const router = new Router({ linger: 0 });
    await router.bind('tcp://127.0.0.1:*');
    defer(() => router.close());
    const codec = new MmopCodec();
    const readies: Buffer[] = [];
    let ignored: Buffer | undefined;
    void (async () => {
      try {
        for await (const frames of router) {
          const { identity, message } = codec.decodeEnvelope(frames);
          if (ignored?.equals(identity)) continue;
          if (message.kind !== 'READY') continue;
          readies.push(identity);
          ignored ??= identity;
          const reply: MmopMessage = {
            kind: 'REGISTERED',
            workerId: message.workerId,
            heartbeatIntervalMs: 100,
            heartbeatMisses: 3,
            masterEpoch: `epoch-${readies.length}`,
          };
          await router.send(codec.encodeEnvelope(identity, reply));
        }
      } catch {
        // closed
      }
    })();
    const worker = await startWorker(router.lastEndpoint!, { id: 'cut-off' });
    await eventually(
      () => worker.masterEpoch,
      (epoch) => epoch === 'epoch-2',
      // The link thread starts through tsx here, slowly on a busy machine; then about a second.
      { timeoutMs: 15_000 },
    );
    expect(readies).toHaveLength(2);
    const [first, second] = readies as [Buffer, Buffer];
    expect(second.equals(first)).toBe(false);
    // The same process instance (bytes 1..16), another socket.
    expect(second.subarray(1, 17).equals(first.subarray(1, 17))).toBe(true);
  });
});
