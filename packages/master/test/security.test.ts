/**
 * CURVE on the master, over real ZeroMQ sockets: only listed keys get an answer, each in its role; the key directories
 * reload without a restart; routing ids that claim a key they cannot prove get nothing.
 */
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient, MasterUnreachableError } from '@monomyth/control';
import {
  newInstance,
  readSecretCertificate,
  routingIdFor,
  writeCertificatePair,
} from '@monomyth/mmop';
import type { CurveClientKeys, SecretCertificate } from '@monomyth/mmop';
import { InvalidOptionError, Master } from '../src/index.js';
import type { Logger } from '../src/index.js';
import { FakeWorker } from './fake-worker.js';
import { eventually } from './helpers.js';

let dir: string;
let master: Master | undefined;
const closers: (() => void)[] = [];

interface Pair {
  readonly publicKey: string;
  readonly secretKey: string;
}

async function pair(subdir: string, name: string): Promise<Pair> {
  const written = await writeCertificatePair(join(dir, subdir), name);
  const secret: SecretCertificate = await readSecretCertificate(written.secretFile);
  return { publicKey: secret.publicKey, secretKey: secret.secretKey };
}

let masterPair: Pair;
let workerPair: Pair;
let controllerPair: Pair;
let strangerPair: Pair;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'monomyth-curve-'));
  masterPair = await pair('master', 'master');
  workerPair = await pair('workers', 'worker1');
  controllerPair = await pair('controllers', 'ops');
  strangerPair = await pair('elsewhere', 'stranger');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await master?.close();
  master = undefined;
});

async function curveMaster(): Promise<Master> {
  master = await Master.create({
    bind: 'tcp://127.0.0.1:*',
    heartbeatIntervalMs: 100,
    heartbeatMisses: 5,
    curveSecretKey: masterPair.secretKey,
    workersKeysDir: join(dir, 'workers'),
    controllersKeysDir: join(dir, 'controllers'),
  });
  return master;
}

function client(options: { curveSecretKey?: string; masterKey?: string }, timeoutMs = 600) {
  const made = new ControlClient({ master: master!.endpoint, timeoutMs, ...options });
  closers.push(() => made.close());
  return made;
}

function keysOf(own: Pair, serverKey = masterPair.publicKey): CurveClientKeys {
  return { publicKey: own.publicKey, secretKey: own.secretKey, serverKey };
}

function fakeWorker(own: Pair, id = `w-${Math.random().toString(36).slice(2, 8)}`): FakeWorker {
  const curve = keysOf(own);
  const worker = new FakeWorker(master!.endpoint, {
    types: ['A'],
    id,
    curve,
    routingId: routingIdFor(newInstance(), curve),
  });
  closers.push(() => worker.close());
  return worker;
}

async function nothingBack(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(MasterUnreachableError);
}

describe('master - CURVE', () => {
  it('curve - a controller key is answered, and a worker key registers', async () => {
    await curveMaster();
    const ops = client(
      { curveSecretKey: controllerPair.secretKey, masterKey: masterPair.publicKey },
      5000,
    );
    expect((await ops.ping()).masterEpoch).toBe(master!.epoch);
    const worker = fakeWorker(workerPair, 'w-ok');
    await worker.register();
    expect((await ops.workers()).map((info) => info.workerId)).toEqual(['w-ok']);
    const started = await ops.startNode('A', 1);
    expect(started.started).toHaveLength(1);
  });

  it('curve - an unlisted key, no key, and a wrong master key get nothing back and change nothing', async () => {
    await curveMaster();
    const before = master!.workers();
    await Promise.all([
      nothingBack(
        client({ curveSecretKey: strangerPair.secretKey, masterKey: masterPair.publicKey }).ping(),
      ),
      nothingBack(client({}).ping()),
      nothingBack(
        client({
          curveSecretKey: controllerPair.secretKey,
          masterKey: strangerPair.publicKey,
        }).ping(),
      ),
    ]);
    // An unlisted worker cannot register either.
    const stranger = fakeWorker(strangerPair, 'w-stranger');
    const registered = stranger.register();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(master!.workers()).toEqual(before);
    void registered.catch(() => {});
  });

  it('curve - a worker key sending control requests gets nothing done and nothing back', async () => {
    await curveMaster();
    const worker = fakeWorker(workerPair, 'w-1');
    await worker.register();
    const asWorker = client({
      curveSecretKey: workerPair.secretKey,
      masterKey: masterPair.publicKey,
    });
    await nothingBack(asWorker.startNode('A', 1, { timeoutMs: 600 }));
    await nothingBack(asWorker.stopWorker('w-1', { timeoutMs: 600 }));
    await nothingBack(asWorker.ping());
    await nothingBack(asWorker.autoscale('A', { min: 2, max: 3, targetBacklogPerNode: 1 }));
    await nothingBack(asWorker.rateLimit('A', { perSecond: 1 }));
    expect(master!.recipes()).toMatchObject([{ type: 'A', desired: 0, running: 0 }]);
    expect(master!.recipes()[0]).not.toHaveProperty('autoscale');
    expect(master!.recipes()[0]).not.toHaveProperty('rateLimit');
    expect(master!.workers().map((info) => info.state)).toEqual(['active']);
  });

  it('curve - a controller key cannot register a worker', async () => {
    await curveMaster();
    const fake = fakeWorker(controllerPair, 'w-fake');
    void fake.register().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(master!.workers()).toEqual([]);
  });

  it('curve - a routing id claiming a key it cannot prove gets nothing', async () => {
    await curveMaster();
    // Connects with the worker key, but its routing id claims the controller key (a MAC it cannot make).
    const forged = routingIdFor(newInstance(), {
      publicKey: controllerPair.publicKey,
      secretKey: workerPair.secretKey,
      serverKey: masterPair.publicKey,
    });
    const worker = new FakeWorker(master!.endpoint, {
      types: ['A'],
      id: 'w-forged',
      curve: keysOf(workerPair),
      routingId: forged,
    });
    closers.push(() => worker.close());
    void worker.register().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(master!.workers()).toEqual([]);
  });

  it('curve - a worker name is bound to the key that first registered it', async () => {
    await curveMaster();
    const other = await pair('workers', 'worker3');
    const first = fakeWorker(workerPair, 'w-bound');
    await first.register();
    // Even once the first is gone, another key may not take its name.
    first.close();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(master!.workers()).toEqual([]);
    await master!.reloadKeys();
    const impostor = fakeWorker(other, 'w-bound');
    void impostor.register();
    expect(await impostor.next('ERROR')).toMatchObject({ status: 409, code: 'NAME_TAKEN' });
    expect(master!.workers()).toEqual([]);
    // The key it was bound to registers again.
    const back = fakeWorker(workerPair, 'w-bound');
    await back.register();
    await unlink(join(dir, 'workers', 'worker3.key'));
  });

  it('curve - reloading the directories adds and removes keys without a restart', async () => {
    await curveMaster();
    const late = await pair('elsewhere', 'late-ops');
    await nothingBack(
      client({ curveSecretKey: late.secretKey, masterKey: masterPair.publicKey }).ping(),
    );
    // Allow the new controller key, and take the worker's away.
    const rotated = await pair('workers', 'worker2');
    const worker = fakeWorker(workerPair, 'w-rotating');
    await worker.register();
    const removedFile = await readFile(join(dir, 'workers', 'worker1.key'));
    await writeFile(
      join(dir, 'controllers', 'late-ops.key'),
      await readFile(join(dir, 'elsewhere', 'late-ops.key')),
    );
    await unlink(join(dir, 'workers', 'worker1.key'));
    const reloaded = await master!.reloadKeys();
    expect(reloaded).toMatchObject({ workers: 1, controllers: 2, removed: [workerPair.publicKey] });
    const ops = client({ curveSecretKey: late.secretKey, masterKey: masterPair.publicKey }, 5000);
    expect((await ops.ping()).masterEpoch).toBe(master!.epoch);
    // The removed worker is dropped at its next frame (a heartbeat), well before the liveness window.
    await eventually(
      () => master!.workers(),
      (workers) => workers.length === 0,
      { timeoutMs: 400 },
    );
    // Its name is free for the new key.
    const successor = fakeWorker(rotated, 'w-rotating');
    await successor.register();
    expect(master!.workers().map((info) => info.workerId)).toEqual(['w-rotating']);
    // Put the keys back as they were for the other tests.
    await writeFile(join(dir, 'workers', 'worker1.key'), removedFile);
    await unlink(join(dir, 'controllers', 'late-ops.key'));
  });
});

describe('master - CURVE settings and key files', () => {
  it('curve - key directories without a secret key, or a key without directories, are option errors', async () => {
    await expect(
      Master.create({ bind: 'tcp://127.0.0.1:*', workersKeysDir: join(dir, 'workers') }),
    ).rejects.toMatchObject({ option: 'workersKeysDir' });
    await expect(
      Master.create({ bind: 'tcp://127.0.0.1:*', curveSecretKey: masterPair.secretKey }),
    ).rejects.toMatchObject({ option: 'curveSecretKey' });
    await expect(
      Master.create({
        bind: 'tcp://127.0.0.1:*',
        curveSecretKey: 'not z85',
        workersKeysDir: join(dir, 'workers'),
      }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('curve - a missing key directory fails the start; a malformed file fails a reload, which keeps the old lists', async () => {
    await expect(
      Master.create({
        bind: 'tcp://127.0.0.1:*',
        curveSecretKey: masterPair.secretKey,
        workersKeysDir: join(dir, 'no-such-dir'),
      }),
    ).rejects.toMatchObject({ name: 'CertificateError' });
    await curveMaster();
    await writeFile(join(dir, 'controllers', 'broken.key'), 'curve\n    public-key = "short"\n');
    try {
      await expect(master!.reloadKeys()).rejects.toMatchObject({ name: 'CertificateError' });
    } finally {
      await unlink(join(dir, 'controllers', 'broken.key'));
    }
    const ops = client(
      { curveSecretKey: controllerPair.secretKey, masterKey: masterPair.publicKey },
      5000,
    );
    expect((await ops.ping()).masterEpoch).toBe(master!.epoch);
  });

  it('curve - an unlisted key is logged once, with its Z85 text, however often it knocks', async () => {
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const logger: Logger = {
      child: () => logger,
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (fields: object | string, msg?: string) => {
        if (typeof fields === 'object')
          lines.push({ fields: fields as Record<string, unknown>, msg: msg ?? '' });
      },
      error: () => {},
    };
    master = await Master.create({
      bind: 'tcp://127.0.0.1:*',
      curveSecretKey: masterPair.secretKey,
      controllersKeysDir: join(dir, 'controllers'),
      logger,
    });
    const stranger = { curveSecretKey: strangerPair.secretKey, masterKey: masterPair.publicKey };
    await Promise.all([
      nothingBack(client(stranger, 400).ping()),
      nothingBack(client(stranger, 400).ping()),
      nothingBack(client(stranger, 400).ping()),
    ]);
    const refused = lines.filter((line) => line.msg.includes(strangerPair.publicKey));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.fields).toMatchObject({ publicKey: strangerPair.publicKey });
  });
});

describe('master - plain text off loopback', () => {
  it('bind - a non-loopback address without CURVE is refused, and allowed with insecure or CURVE', async () => {
    await expect(Master.create({ bind: 'tcp://0.0.0.0:*' })).rejects.toThrow(InvalidOptionError);
    await expect(Master.create({ bind: 'tcp://*:*' })).rejects.toThrow(/--insecure/);
    master = await Master.create({ bind: 'tcp://0.0.0.0:*', insecure: true });
    await master.close();
    master = await Master.create({
      bind: 'tcp://0.0.0.0:*',
      curveSecretKey: masterPair.secretKey,
      controllersKeysDir: join(dir, 'controllers'),
    });
  });
});
