/**
 * The master over real ZeroMQ sockets, with workers that speak MMOP/1 and run nothing (FakeWorker) and the real
 * control client: the original's master tests translated, plus liveness, failover, restart and garbage.
 */
import { Dealer } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlRequestError, MasterUnreachableError } from '@monomyth/control';
import { MmopCodec } from '@monomyth/mmop';
import { Harness, eventually, rebind } from './helpers.js';

let harness: Harness;

afterEach(async () => {
  await harness?.close();
});

/** Awaits a control request that must fail with `status` and `code`; returns the error for further checks. */
async function refusal(
  promise: Promise<unknown>,
  status: number,
  code: string,
): Promise<ControlRequestError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ControlRequestError);
  expect(error).toMatchObject({ status, code });
  return error as ControlRequestError;
}

describe('master - requests', () => {
  it('master - start with no worker registered is 503 NO_WORKERS', async () => {
    harness = await Harness.start();
    await refusal(harness.client().startNode('TEST-NODE1', 1), 503, 'NO_WORKERS');
  });

  it('master - start of a type no worker offers is 400 and names the known types', async () => {
    harness = await Harness.start();
    await harness.worker({ types: ['A', 'B'] });
    const error = await refusal(harness.client().startNode('NOPE', 1), 400, 'UNKNOWN_TYPE');
    expect(error.reason).toContain('known types: A, B');
  });

  it('master - three workers register and are listed with their types', async () => {
    harness = await Harness.start();
    const registered = await Promise.all([
      harness.worker({ types: ['A'] }),
      harness.worker({ types: ['A', 'B'] }),
      harness.worker({ types: ['C'] }),
    ]);
    const workers = await harness.client().workers();
    expect(workers.map((worker) => worker.workerId).sort()).toEqual(
      registered.map((worker) => worker.id).sort(),
    );
    expect(workers.find((worker) => worker.workerId === registered[1]!.id)?.types).toEqual([
      'A',
      'B',
    ]);
    const pong = await harness.client().ping();
    expect(pong.masterEpoch).toBe(harness.master.epoch);
  });

  it('master - a start request is spread across workers and answered with what started', async () => {
    harness = await Harness.start();
    const workers = await Promise.all([1, 2, 3].map(() => harness.worker({ types: ['A'] })));
    const result = await harness.client().startNode('A', 6);
    expect(result.started).toHaveLength(6);
    expect(result.failures).toEqual([]);
    for (const worker of workers) expect(worker.nodes.size).toBe(2);
    const [recipe] = await harness.client().recipes();
    expect(recipe).toMatchObject({ type: 'A', desired: 6, running: 6, outstanding: 0, workers: 3 });
  });

  it('master - random successes and failures from workers leave every count right', async () => {
    harness = await Harness.start();
    let calls = 0;
    // Deterministic but mixed: every third start is refused.
    const policy = (): 'succeed' | 'fail' => (++calls % 3 === 0 ? 'fail' : 'succeed');
    await Promise.all([1, 2, 3].map(() => harness.worker({ types: ['A'], startPolicy: policy })));
    const result = await harness.client().startNode('A', 30);
    expect(result.started.length + result.failures.length).toBe(30);
    expect(result.failures.length).toBe(10);
    const [recipe] = await harness.client().recipes();
    expect(recipe).toMatchObject({ desired: 20, running: 20, outstanding: 0, failed: 10 });
    const running = harness.workers.reduce((sum, worker) => sum + worker.nodes.size, 0);
    expect(running).toBe(20);
  });

  it('master - when every start is refused the request fails with the reasons', async () => {
    harness = await Harness.start();
    await harness.worker({ types: ['A'], startPolicy: () => 'fail' });
    const error = await refusal(harness.client().startNode('A', 2), 500, 'START_FAILED');
    expect(error.reason).toContain('refused by the test');
    expect((await harness.client().recipes())[0]).toMatchObject({
      desired: 0,
      running: 0,
      failed: 2,
    });
  });

  it('master - a worker that never answers START-NODE gives 408 after the start timeout', async () => {
    harness = await Harness.start({ startTimeoutMs: 200 });
    await harness.worker({ types: ['A'], startPolicy: () => 'ignore' });
    await refusal(harness.client().startNode('A', 1), 408, 'START_TIMEOUT');
  });

  it('master - no room on any worker is 503 NO_CAPACITY', async () => {
    harness = await Harness.start();
    await harness.worker({ types: ['A'], capacity: 1 });
    await harness.client().startNode('A', 1);
    await refusal(harness.client().startNode('A', 1), 503, 'NO_CAPACITY');
  });

  it('master - stop by type takes from the busiest worker; stop by name stops that node', async () => {
    harness = await Harness.start();
    const [first, second] = await Promise.all([
      harness.worker({ types: ['A'] }),
      harness.worker({ types: ['A'] }),
    ]);
    await harness.client().startNode('A', 4);
    const byType = await harness.client().stopNode('A', 1);
    expect(byType.stopped).toHaveLength(1);
    const name = [...second!.nodes.keys(), ...first!.nodes.keys()][0]!;
    const byName = await harness.client().stopNode(name);
    expect(byName.stopped).toEqual([{ nodeName: name, workerId: expect.any(String) }]);
    expect(first!.nodes.size + second!.nodes.size).toBe(2);
    expect((await harness.client().recipes())[0]).toMatchObject({
      desired: 2,
      running: 2,
      completed: 2,
    });
    await refusal(harness.client().stopNode('NOPE'), 404, 'UNKNOWN_TARGET');
  });

  it('master - stop by type lowers a desired count even when none of its nodes is running', async () => {
    harness = await Harness.start();
    const worker = await harness.worker({ types: ['A'] });
    await harness.client().startNode('A', 2);
    // The worker goes away: two A nodes stay desired, with nowhere to run.
    await worker.send({ kind: 'BYE', reason: 'test' });
    await eventually(
      () => harness.master.recipes()[0],
      (recipe) => recipe?.running === 0,
    );
    expect(harness.master.recipes()[0]).toMatchObject({ desired: 2, running: 0 });
    expect(await harness.client().stopNode('A', 2)).toEqual({ stopped: [], failures: [] });
    expect(harness.master.recipes()[0]).toMatchObject({ desired: 0 });
    await refusal(harness.client().stopNode('A', 1), 404, 'NOT_RUNNING');
  });

  it('master - stop-worker drains it (SHUTDOWN, BYE), removes it, and its nodes move to the others', async () => {
    harness = await Harness.start();
    const leaving = await harness.worker({ types: ['A'] });
    await harness.client().startNode('A', 2);
    const staying = await harness.worker({ types: ['A'] });
    const stopping = harness.client().stopWorker(leaving.id, { drainTimeoutMs: 1000 });
    const shutdown = await leaving.next('SHUTDOWN');
    expect(shutdown.drainTimeoutMs).toBe(1000);
    await leaving.send({ kind: 'BYE', reason: 'shutdown requested' });
    expect(await stopping).toEqual({ workerId: leaving.id });
    await eventually(
      () => staying.nodes.size,
      (size) => size === 2,
    );
    expect((await harness.client().workers()).map((worker) => worker.workerId)).toEqual([
      staying.id,
    ]);
    await refusal(harness.client().stopWorker('nobody'), 404, 'UNKNOWN_WORKER');
  });

  it('master - 100 concurrent control requests on one client are all answered, each to its caller', async () => {
    harness = await Harness.start();
    await harness.worker({ types: ['A'] });
    const client = harness.client();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 3 === 0 ? client.ping() : i % 3 === 1 ? client.workers() : client.recipes(),
      ),
    );
    answers.forEach((answer, i) => {
      if (i % 3 === 0) expect(answer).toMatchObject({ masterEpoch: harness.master.epoch });
      else if (i % 3 === 1) expect((answer as unknown[]).length).toBe(1);
      else expect(answer).toEqual([expect.objectContaining({ type: 'A' })]);
    });
  });
});

describe('master - liveness and failover', () => {
  it('master - a silent worker is declared lost within misses x interval and its nodes are placed again', async () => {
    harness = await Harness.start({ heartbeatIntervalMs: 50, heartbeatMisses: 3 });
    const doomed = await harness.worker({ types: ['A'] });
    await harness.client().startNode('A', 3);
    const survivor = await harness.worker({ types: ['A'] });
    expect(doomed.nodes.size).toBe(3);
    const silencedAt = Date.now();
    doomed.silence();
    await eventually(
      () => harness.master.workers().map((worker) => worker.workerId),
      (ids) => !ids.includes(doomed.id),
    );
    // Lost after 3 missed beats of 50 ms, checked every 50 ms: well inside a second even on a loaded machine.
    expect(Date.now() - silencedAt).toBeLessThan(1000);
    // The master's own view settles once the survivor's START-NODE-SUCCESS answers are in.
    await eventually(
      () => harness.master.recipes()[0],
      (recipe) => recipe?.running === 3 && recipe.outstanding === 0,
    );
    expect(harness.master.recipes()[0]).toMatchObject({ desired: 3, running: 3 });
    expect(survivor.nodes.size).toBe(3);
  });

  it('master - a node that exits for good is placed on another worker', async () => {
    harness = await Harness.start();
    const crashing = await harness.worker({ types: ['A'] });
    await harness.client().startNode('A', 1);
    const other = await harness.worker({ types: ['A'] });
    await crashing.exitFirstNode('crashed 5 times in 60 s');
    await eventually(
      () => harness.master.recipes()[0],
      (recipe) => recipe?.failed === 1 && recipe.running === 1 && recipe.outstanding === 0,
    );
    expect(other.nodes.size).toBe(1);
    expect(crashing.nodes.size).toBe(0);
    expect(harness.master.recipes()[0]).toMatchObject({ desired: 1, running: 1, failed: 1 });
  });

  it('master - a node that completes its work is not placed again, and one fewer is wanted', async () => {
    harness = await Harness.start();
    const worker = await harness.worker({ types: ['G'] });
    await harness.client().startNode('G', 2);
    await worker.exitFirstNode('generator ran out', true);
    const recipe = await eventually(
      () => harness.master.recipes()[0],
      (info) => info?.completed === 1,
    );
    expect(recipe).toMatchObject({ desired: 1, running: 1, failed: 0, completed: 1 });
    expect(worker.nodes.size).toBe(1);
  });

  it('master - restarted, it rebuilds its picture from the workers, which keep their nodes', async () => {
    harness = await Harness.start({ heartbeatIntervalMs: 50 });
    const endpoint = harness.master.endpoint;
    const workers = await Promise.all([
      harness.worker({ types: ['A'] }),
      harness.worker({ types: ['A', 'B'] }),
    ]);
    await harness.client().startNode('A', 4);
    const firstEpoch = harness.master.epoch;
    const first = harness.master;
    await first.close({ reason: 'restart' });
    expect(first.state).toBe('closed');
    // Idempotent: closing again resolves and stays closed; run() resolves on the clean stop.
    await first.close();
    await expect(first.run()).resolves.toBeUndefined();
    expect(first.state).toBe('closed');
    harness.master = await rebind({
      bind: endpoint,
      heartbeatIntervalMs: 50,
      heartbeatMisses: 3,
    });
    expect(harness.master.epoch).not.toBe(firstEpoch);
    const listed = await eventually(
      () => harness.master.workers(),
      (list) =>
        list.length === 2 && list.reduce((sum, worker) => sum + worker.nodes.length, 0) === 4,
    );
    expect(listed.map((worker) => worker.workerId).sort()).toEqual(
      workers.map((worker) => worker.id).sort(),
    );
    expect(workers[0]!.nodes.size + workers[1]!.nodes.size).toBe(4);
    expect(harness.master.recipes().find((recipe) => recipe.type === 'A')).toMatchObject({
      desired: 4,
      running: 4,
    });
  });

  it('master - the control client reports an unreachable master within its timeout', async () => {
    harness = await Harness.start();
    const endpoint = harness.master.endpoint;
    await harness.master.close();
    const client = harness.client(300);
    const started = Date.now();
    await expect(client.ping()).rejects.toBeInstanceOf(MasterUnreachableError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('master - bad input', () => {
  it('master - 1,000 garbage frame sets while it serves requests: answered where they carry a requestId, never a crash', async () => {
    harness = await Harness.start();
    await harness.worker({ types: ['A'] });
    const client = harness.client();
    const attacker = new Dealer({ linger: 0 });
    attacker.connect(harness.master.endpoint);
    const codec = new MmopCodec();
    const valid = codec.encode({
      kind: 'START-NODE-REQUEST',
      requestId: 'evil-1',
      type: 'A',
      count: 1,
    });
    let state = 12345;
    const random = (n: number): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state % n;
    };
    const garbage: Buffer[][] = [];
    for (let i = 0; i < 1000; i++) {
      const frames = valid.map((frame) => Buffer.from(frame));
      const frame = frames[random(3)]!;
      if (frame.length > 0) frame[random(frame.length)] = random(256);
      if (i % 10 === 0) frames.push(Buffer.from('extra'));
      if (i % 7 === 0) frames.splice(0, 1);
      garbage.push(frames);
    }
    const sending = (async () => {
      for (const frames of garbage) await attacker.send(frames);
    })();
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.ping()));
    await sending;
    expect(answers).toHaveLength(20);
    expect((await client.workers())[0]?.workerId).toBe(harness.workers[0]!.id);
    // A malformed request whose id is readable gets an ERROR naming the problem.
    await attacker.send([
      Buffer.from('MMOP/1'),
      Buffer.from('START-NODE-REQUEST'),
      Buffer.from([0x81, 0xa9, ...Buffer.from('requestId'), 0xa2, 0x72, 0x31]),
    ]);
    let reply;
    do reply = codec.decode(await attacker.receive());
    while (reply.kind !== 'ERROR' || reply.requestId !== 'r1');
    expect(reply).toMatchObject({ status: 400, code: 'MISSING_FIELD' });
    attacker.close();
    expect(harness.master.state).toBe('running');
  });

  it('master - a peer speaking MMOP/0 is told which versions the master speaks', async () => {
    harness = await Harness.start();
    const old = new Dealer({ linger: 0 });
    old.connect(harness.master.endpoint);
    await old.send([Buffer.from('MMOP/0'), Buffer.from('PING')]);
    const reply = new MmopCodec().decode(await old.receive());
    expect(reply).toMatchObject({ kind: 'ERROR', status: 505, code: 'UNSUPPORTED_VERSION' });
    old.close();
  });
});
