/**
 * The autoscaler and rate limits on the master's own cluster model, with a fake clock and a fake backlog: what they
 * send workers (START-NODE, STOP-NODE, NODE-RATE-LIMIT), what they log, what RECIPE-INFO shows, and the state file
 * across a restart.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshNodeStatus } from '@monomyth/mmop';
import type { AutoscalePolicy, MessageOf, MmopMessage, Recipe } from '@monomyth/mmop';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import type { MasterContext, StartAnswer, StopAnswer } from './context.js';
import { DesiredStateError, readDesiredState } from './desired-state.js';
import type { Logger } from './logger.js';
import { compileMasterOptions } from './options.js';
import { PendingReplies } from './pending-replies.js';
import { Scaling } from './scaling.js';

interface Logged {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

const POLICY: AutoscalePolicy = { min: 1, max: 8, targetBacklogPerNode: 100 };

function recipe(type: string, autoscale?: AutoscalePolicy): Recipe {
  return { type, source: `${type}.in`, ...(autoscale && { autoscale }) };
}

/** A cluster with one worker of the given capacity offering `A` (with `autoscale` in its recipe) and `B`. */
function harness(options: { capacity?: number; autoscale?: AutoscalePolicy; state?: string } = {}) {
  const cluster = new Cluster();
  const sent: MmopMessage[] = [];
  const logged: Logged[] = [];
  const log = (level: string) => (fields: unknown, msg?: string) => {
    logged.push({ level, fields: fields as Record<string, unknown>, msg: msg ?? '' });
  };
  const logger: Logger = {
    trace: () => {},
    debug: () => {},
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  let now = 1_000_000;
  let backlog: number | undefined;
  let recovering = false;
  const context: MasterContext = {
    cluster,
    options: compileMasterOptions(),
    log: logger,
    starts: new PendingReplies<StartAnswer>(),
    stops: new PendingReplies<StopAnswer>(),
    shutdowns: new PendingReplies<never>(),
    send: (_identity, message) => {
      sent.push(message);
      return Promise.resolve();
    },
    nextRequestId: () => `r${sent.length + 1}`,
    now: () => now,
    startRecipe: (recipe) => scaling?.startRecipe(recipe) ?? recipe,
  };
  let scaling: Scaling | undefined;
  const ready: MessageOf<'READY'> = {
    kind: 'READY',
    workerId: 'w1',
    host: 'h',
    pid: 1,
    capacity: options.capacity ?? 16,
    recipes: [recipe('A', options.autoscale ?? POLICY), recipe('B')],
    nodes: [{ name: 'A:1', type: 'A', recipe: recipe('A') }],
  };
  cluster.register(ready, Buffer.from('w1'), now, false);
  cluster.changeDesired('A', 1);
  const make = (restored?: Awaited<ReturnType<typeof readDesiredState>>): Scaling =>
    (scaling = new Scaling(context, {
      backlog: () => (type) => (type === 'A' ? backlog : undefined),
      stateFile: options.state,
      restored,
      inRecovery: () => recovering,
    }));
  return {
    cluster,
    sent,
    logged,
    make,
    setBacklog: (value: number | undefined) => (backlog = value),
    setRecovering: (value: boolean) => (recovering = value),
    /** Ticks once a second for `count` seconds. */
    ticks: (scaling: Scaling, count: number) => {
      for (let i = 0; i < count; i++) {
        now += 1000;
        scaling.tick();
      }
    },
    kinds: (kind: string) => sent.filter((message) => message.kind === kind),
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup) await step();
  cleanup = [];
});

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'monomyth-state-')), 'state.json');
}

describe('autoscaler', () => {
  it("up - the recipe's policy raises desired once the backlog has been above target 5 s; starts go out; logged with figures", () => {
    const h = harness();
    const scaling = h.make();
    h.setBacklog(650);
    h.ticks(scaling, 4);
    expect(h.cluster.desired('A')).toBe(1);
    h.ticks(scaling, 2);
    expect(h.cluster.desired('A')).toBe(7);
    expect(h.kinds('START-NODE')).toHaveLength(6);
    const up = h.logged.find((line) => line.msg === 'autoscale: scaling up');
    expect(up?.level).toBe('info');
    expect(up?.fields).toMatchObject({
      type: 'A',
      from: 1,
      to: 7,
      backlog: 650,
      targetBacklogPerNode: 100,
    });
    const [info] = scaling.describe(h.cluster.recipeInfo());
    expect(info).toMatchObject({
      type: 'A',
      autoscale: POLICY,
      lastDecision: { from: 1, to: 7, backlog: 650, placed: true },
    });
    // B has no policy: nothing added.
    expect(scaling.describe(h.cluster.recipeInfo())[1]).not.toHaveProperty('autoscale');
  });

  it('down - one node drained at a time (STOP-NODE with the drain timeout), never below min', () => {
    const h = harness();
    const scaling = h.make();
    h.cluster.changeDesired('A', 2); // 3 wanted, 1 runs: reconcile would place; here only the stop matters
    for (const name of ['A:2', 'A:3'])
      h.cluster.nodeStarted(h.cluster.worker('w1')!, 'A', name, 1_000_000 + name.length);
    h.setBacklog(0);
    // Below target from the first tick on: 30 s later, the first step down.
    h.ticks(scaling, 30);
    expect(h.cluster.desired('A')).toBe(3);
    h.ticks(scaling, 1);
    expect(h.cluster.desired('A')).toBe(2);
    const stops = h.kinds('STOP-NODE') as MessageOf<'STOP-NODE'>[];
    expect(stops).toHaveLength(1);
    expect(stops[0]?.drainTimeoutMs).toBe(compileMasterOptions().drainTimeoutMs);
    h.ticks(scaling, 120);
    expect(h.cluster.desired('A')).toBe(1);
  });

  it('rate - the nodes left must keep up with what arrives: a steady stream holds the step down (logged once), a thinner one lets it go', () => {
    // At most 3, so the busy stretch below does not scale it up.
    const h = harness({ autoscale: { ...POLICY, max: 3, scaleDownAfterMs: 10_000 } });
    const scaling = h.make();
    const worker = h.cluster.worker('w1')!;
    h.cluster.changeDesired('A', 2);
    for (const name of ['A:2', 'A:3']) h.cluster.nodeStarted(worker, 'A', name, 1_000_000);
    const processed = [0, 0, 0];
    /** `seconds` of each node processing `perNode` a second, reported by a heartbeat before each tick. */
    const run = (seconds: number, perNode: number): void => {
      for (let i = 0; i < seconds; i++) {
        for (let n = 0; n < 3; n++) processed[n] = (processed[n] ?? 0) + perNode;
        const statuses = processed.map((count, n) => ({
          ...freshNodeStatus(`A:${n + 1}`, 'A', 'running'),
          processed: count,
        }));
        h.cluster.heartbeat(worker, statuses, 0, 1_000_000);
        h.ticks(scaling, 1);
      }
    };
    // Busy (a backlog of 1,000 over 3 nodes and a target of 100): each node measured at 100/s.
    h.setBacklog(1000);
    run(6, 100);
    // Then 270/s arrive and the 3 nodes keep up: 2 would do 200/s, under 270/s and its 10 % spare.
    h.setBacklog(0);
    run(60, 90);
    expect(h.cluster.desired('A')).toBe(3);
    const held = h.logged.filter((line) => line.msg.startsWith('autoscale: not scaling down'));
    expect(held).toHaveLength(1);
    expect(held[0]?.fields).toMatchObject({ type: 'A', desired: 3, perNode: 100 });
    expect(held[0]?.fields['reason']).toMatch(/2 nodes at 100\/s each: 200\/s, 2\d\d\/s arriving/);
    // 120/s: 2 nodes keep up, 1 does not.
    run(60, 40);
    expect(h.cluster.desired('A')).toBe(2);
    const down = h.logged.find((line) => line.msg === 'autoscale: scaling down');
    // Taken as soon as the 10 s window's arrival rate has fallen under 200/s less the spare.
    expect(down?.fields).toMatchObject({ from: 3, to: 2, perNodePerSecond: 100 });
    expect(down?.fields['arrivingPerSecond']).toBeLessThanOrEqual(200 / 1.1);
    expect(down?.fields['arrivingPerSecond']).toBeGreaterThanOrEqual(120);
  });

  it('no capacity - a rise the workers have no room for is reported once, not retried every tick', () => {
    const h = harness({ capacity: 3 });
    const scaling = h.make();
    h.setBacklog(800);
    h.ticks(scaling, 60);
    expect(h.cluster.desired('A')).toBe(8);
    // Room for two more beside A:1: two starts, one warning, one decision.
    expect(h.kinds('START-NODE')).toHaveLength(2);
    const warnings = h.logged.filter((line) =>
      line.msg.startsWith('autoscale: no worker has room'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ missing: 7, room: 2 });
    expect(h.logged.filter((line) => line.msg === 'autoscale: scaling up')).toHaveLength(1);
    const [info] = scaling.describe(h.cluster.recipeInfo());
    expect(info?.lastDecision).toMatchObject({ to: 8, placed: false });
    expect(info?.lastDecision?.reason).toContain('room for 2 of 7 more');
  });

  it('run time - a policy set by request beats the recipe; off keeps the count and stops deciding', () => {
    const h = harness();
    const scaling = h.make();
    const answer = scaling.request({
      kind: 'AUTOSCALE-REQUEST',
      requestId: 'q1',
      type: 'A',
      policy: { min: 3, max: 4, targetBacklogPerNode: 10 },
    });
    // Below the new min: raised at once, in the answer.
    expect(answer).toEqual({
      kind: 'AUTOSCALE-REQUEST-SUCCESS',
      requestId: 'q1',
      type: 'A',
      policy: { min: 3, max: 4, targetBacklogPerNode: 10 },
      desired: 3,
    });
    const off = scaling.request({ kind: 'AUTOSCALE-REQUEST', requestId: 'q2', type: 'A' });
    expect(off).toEqual({
      kind: 'AUTOSCALE-REQUEST-SUCCESS',
      requestId: 'q2',
      type: 'A',
      desired: 3,
    });
    h.setBacklog(10_000);
    h.ticks(scaling, 30);
    expect(h.cluster.desired('A')).toBe(3);
    expect(scaling.describe(h.cluster.recipeInfo())[0]).not.toHaveProperty('autoscale');
  });

  it('requests - an unknown type and a policy whose figures do not fit are refused with 400 and a code', () => {
    const h = harness();
    const scaling = h.make();
    expect(
      scaling.request({ kind: 'AUTOSCALE-REQUEST', requestId: 'q', type: 'Z', policy: POLICY }),
    ).toMatchObject({ kind: 'AUTOSCALE-REQUEST-FAILURE', status: 400, code: 'UNKNOWN_TYPE' });
    expect(
      scaling.request({
        kind: 'AUTOSCALE-REQUEST',
        requestId: 'q',
        type: 'A',
        policy: { min: 5, max: 2, targetBacklogPerNode: 1 },
      }),
    ).toEqual({
      kind: 'AUTOSCALE-REQUEST-FAILURE',
      requestId: 'q',
      status: 400,
      code: 'INVALID_POLICY',
      reason: 'max is 2, below min 5',
    });
    expect(h.cluster.desired('A')).toBe(1);
  });

  it('state - desired counts and run-time policies survive a restart; counts wait for the recovery window', async () => {
    const path = await tempFile();
    const before = harness({ state: path });
    const first = before.make();
    first.request({ kind: 'AUTOSCALE-REQUEST', requestId: 'q', type: 'B', policy: POLICY });
    first.request({ kind: 'AUTOSCALE-REQUEST', requestId: 'q', type: 'A' });
    before.cluster.changeDesired('A', 4);
    before.ticks(first, 1);
    await first.close();
    const saved = JSON.parse(await readFile(path, 'utf8')) as unknown;
    expect(saved).toEqual({
      format: 1,
      desired: { A: 5, B: 1 },
      autoscale: { A: null, B: POLICY },
      rateLimits: {},
    });

    // The restarted master: its workers report one A running, which it learns; the file says 5.
    const after = harness({ state: path });
    after.setRecovering(true);
    const restored = await readDesiredState(path);
    const second = after.make(restored);
    after.ticks(second, 3);
    expect(after.cluster.desired('A')).toBe(1);
    // A's policy was turned off at run time: the recipe's does not come back.
    expect(second.describe(after.cluster.recipeInfo())[0]).not.toHaveProperty('autoscale');
    expect(second.describe(after.cluster.recipeInfo())[1]).toMatchObject({ autoscale: POLICY });
    after.setRecovering(false);
    after.ticks(second, 1);
    expect(after.cluster.desired('A')).toBe(5);
    await second.close();
  });

  it('state - without a file, nothing is written; a file that cannot be used stops the start with its reason', async () => {
    const h = harness();
    const scaling = h.make();
    scaling.request({ kind: 'AUTOSCALE-REQUEST', requestId: 'q', type: 'A', policy: POLICY });
    await scaling.close();
    const path = await tempFile();
    expect(await readDesiredState(path)).toBeUndefined();
    await writeFile(path, '{"format":1,"desired":{"A":-1},"autoscale":{}}');
    await expect(readDesiredState(path)).rejects.toThrow(DesiredStateError);
    await expect(readDesiredState(path)).rejects.toThrow('desired.A must be a whole number >= 0');
    await writeFile(path, '{"format":1,"desired":{},"autoscale":{"A":{"min":3,"max":1}}}');
    await expect(readDesiredState(path)).rejects.toThrow('autoscale.A.targetBacklogPerNode');
    await writeFile(path, 'not json');
    await expect(readDesiredState(path)).rejects.toThrow('is not JSON');
    await writeFile(path, '{"format":2}');
    await expect(readDesiredState(path)).rejects.toThrow('has format 2');
  });
});

describe('rate limits', () => {
  /** A harness with three A nodes running on w1. */
  function threeNodes() {
    const h = harness();
    const worker = h.cluster.worker('w1')!;
    for (const name of ['A:2', 'A:3']) h.cluster.nodeStarted(worker, 'A', name, 1_000_000);
    return h;
  }
  const shares = (h: ReturnType<typeof harness>) =>
    (h.kinds('NODE-RATE-LIMIT') as MessageOf<'NODE-RATE-LIMIT'>[]).map(
      ({ nodeName, perSecond, burst }) => ({ nodeName, perSecond, burst }),
    );

  it('split - a limit set at run time goes out at once as equal shares, one message per node', () => {
    const h = threeNodes();
    const scaling = h.make();
    const answer = scaling.rateLimitRequest({
      kind: 'RATE-LIMIT-REQUEST',
      requestId: 'q',
      type: 'A',
      limit: { perSecond: 300, burst: 30 },
    });
    expect(answer).toEqual({
      kind: 'RATE-LIMIT-REQUEST-SUCCESS',
      requestId: 'q',
      type: 'A',
      limit: { perSecond: 300, burst: 30 },
      nodes: 3,
    });
    expect(shares(h)).toEqual(
      ['A:1', 'A:2', 'A:3'].map((nodeName) => ({ nodeName, perSecond: 100, burst: 10 })),
    );
    // Nothing changed: the next ticks send nothing.
    h.ticks(scaling, 3);
    expect(shares(h)).toHaveLength(3);
    expect(scaling.describe(h.cluster.recipeInfo())[0]).toMatchObject({
      rateLimit: { perSecond: 300, burst: 30 },
    });
  });

  it('re-split - a node gone gives its share to the others at the next tick; cleared, each is told no limit', () => {
    const h = threeNodes();
    const scaling = h.make();
    scaling.rateLimitRequest({
      kind: 'RATE-LIMIT-REQUEST',
      requestId: 'q',
      type: 'A',
      limit: { perSecond: 200 },
    });
    h.sent.length = 0;
    h.cluster.nodeGone(h.cluster.worker('w1')!, 'A:3');
    h.ticks(scaling, 1);
    // 200 over 2; the default burst (a tenth of a second, 20) split the same way.
    expect(shares(h)).toEqual([
      { nodeName: 'A:1', perSecond: 100, burst: 10 },
      { nodeName: 'A:2', perSecond: 100, burst: 10 },
    ]);
    h.sent.length = 0;
    scaling.rateLimitRequest({ kind: 'RATE-LIMIT-REQUEST', requestId: 'q', type: 'A' });
    expect(shares(h)).toEqual([
      { nodeName: 'A:1', perSecond: undefined, burst: undefined },
      { nodeName: 'A:2', perSecond: undefined, burst: undefined },
    ]);
    // B was never limited: nothing is ever sent for its nodes.
    h.cluster.nodeStarted(h.cluster.worker('w1')!, 'B', 'B:1', 1_000_000);
    h.ticks(scaling, 2);
    expect(shares(h)).toHaveLength(2);
  });

  it("start - a START-NODE of a limited type carries the new node's share, counted with it", () => {
    const h = threeNodes();
    const scaling = h.make();
    scaling.rateLimitRequest({
      kind: 'RATE-LIMIT-REQUEST',
      requestId: 'q',
      type: 'A',
      limit: { perSecond: 400, burst: 40 },
    });
    h.cluster.worker('w1')!.addOutstanding('A', 1);
    expect(scaling.startRecipe(recipe('A'))).toMatchObject({
      rateLimit: { perSecond: 100, burst: 10 },
    });
    // Not limited: the recipe goes as it is.
    const plain = recipe('B');
    expect(scaling.startRecipe(plain)).toBe(plain);
  });

  it('requests - an unknown type and a limit of 0 are refused with 400', () => {
    const h = threeNodes();
    const scaling = h.make();
    expect(
      scaling.rateLimitRequest({
        kind: 'RATE-LIMIT-REQUEST',
        requestId: 'q',
        type: 'Z',
        limit: { perSecond: 5 },
      }),
    ).toMatchObject({ status: 400, code: 'UNKNOWN_TYPE' });
    expect(
      scaling.rateLimitRequest({
        kind: 'RATE-LIMIT-REQUEST',
        requestId: 'q',
        type: 'A',
        limit: { perSecond: 0 },
      }),
    ).toMatchObject({ status: 400, code: 'INVALID_POLICY' });
    expect(shares(h)).toEqual([]);
  });

  it('state - a limit set at run time survives a restart', async () => {
    const path = await tempFile();
    const first = harness({ state: path }).make();
    first.rateLimitRequest({
      kind: 'RATE-LIMIT-REQUEST',
      requestId: 'q',
      type: 'A',
      limit: { perSecond: 50 },
    });
    await first.close();
    const restored = await readDesiredState(path);
    expect(restored?.rateLimits).toEqual({ A: { perSecond: 50 } });
    const after = harness({ state: path });
    const second = after.make(restored);
    after.ticks(second, 1);
    expect(shares(after)).toEqual([{ nodeName: 'A:1', perSecond: 50, burst: 5 }]);
  });
});
