/**
 * The master's operator HTTP endpoints with a real master (real ROUTER, real HTTP server on a free port) and fake
 * workers that send exactly the READY and HEARTBEATs the test writes: probes, metrics summed from heartbeats as deltas
 * (monotonic through a node's restart and a worker's), queue depth, the cluster JSON with its edges (fan-out, routes,
 * fail queues), server-sent events, the dashboard page, the bearer token, and bad methods, paths and options.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freshNodeStatus, generateCurveKeyPair } from '@monomyth/mmop';
import type { NodeStatus, Recipe } from '@monomyth/mmop';
import { InvalidOptionError, Master } from '../src/index.js';
import type { ClusterSnapshot, MasterOptions } from '../src/index.js';
import { FakeWorker } from './fake-worker.js';
import { eventually } from './helpers.js';

const closers: (() => unknown)[] = [];
/** Closed after the master: a fake worker closed first could still be handed a message it would answer. */
const fakes: FakeWorker[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const fake of fakes.splice(0)) fake.close();
});

async function startMaster(options: MasterOptions = {}): Promise<Master & { httpUrl: string }> {
  const master = await Master.create({
    bind: 'tcp://127.0.0.1:*',
    heartbeatIntervalMs: 100,
    heartbeatMisses: 5,
    http: { host: '127.0.0.1', port: 0 },
    ...options,
  });
  closers.push(() => master.close());
  return master as Master & { httpUrl: string };
}

/** The 4-stage shape the examples use, with a fan-out, a route and an input queue. */
const RECIPES: Recipe[] = [
  { type: 'PARSE', source: 'in', dest: ['PARSE-to-ENRICH', 'PARSE-to-AUDIT'] },
  {
    type: 'ENRICH',
    source: 'PARSE-to-ENRICH',
    dest: { good: ['ENRICH-to-STORE'], bad: ['quarantine'] },
  },
  { type: 'AUDIT', source: 'PARSE-to-AUDIT', dest: null },
  { type: 'STORE', source: 'ENRICH-to-STORE', dest: null },
];

/** A fake worker offering RECIPES; `running` are nodes it says it runs already (kept: within the recovery window). */
async function worker(
  master: Master,
  id: string,
  running: { name: string; type: string }[] = [],
): Promise<{ fake: FakeWorker; epoch: string }> {
  // Starts the master places (its heartbeats list fewer nodes than READY did) are left unanswered.
  const fake = new FakeWorker(master.endpoint, {
    types: [],
    id,
    reRegister: false,
    startPolicy: () => 'ignore',
  });
  fakes.push(fake);
  const registered = fake.next('REGISTERED');
  await fake.send({
    kind: 'READY',
    workerId: id,
    host: 'h',
    pid: 1,
    capacity: 8,
    recipes: RECIPES,
    nodes: running.map((n) => ({ ...n, recipe: RECIPES.find((r) => r.type === n.type)! })),
  });
  return { fake, epoch: (await registered).masterEpoch };
}

function node(name: string, type: string, counts: Partial<NodeStatus>): NodeStatus {
  return { ...freshNodeStatus(name, type, 'running'), ...counts };
}

async function get(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string; type: string }> {
  const response = await fetch(url, init);
  return {
    status: response.status,
    text: await response.text(),
    type: response.headers.get('content-type') ?? '',
  };
}

/** One sample's value from Prometheus text, e.g. `sample(text, 'monomyth_messages_processed_total{type="PARSE"}')`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('master --http', () => {
  it('http - /live and /ready answer 200 once bound; /metrics serves process and MMOP metrics', async () => {
    const master = await startMaster();
    expect(master.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(`${master.httpUrl}/live`)).toMatchObject({
      status: 200,
      text: '{"live":true}\n',
    });
    expect(await get(`${master.httpUrl}/ready`)).toMatchObject({
      status: 200,
      text: '{"ready":true}\n',
    });
    await worker(master, 'w1');
    const metrics = await get(`${master.httpUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.type).toContain('text/plain');
    expect(metrics.text).toContain('process_cpu_seconds_total');
    expect(sample(metrics.text, 'monomyth_mmop_frames_received_total')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics.text, 'monomyth_workers_online{state="active"}')).toBe(1);
    expect(sample(metrics.text, 'monomyth_nodes_desired{type="PARSE"}')).toBe(0);
    // Node instances never become labels: no series names a node.
    expect(metrics.text).not.toMatch(/node="/);
  });

  it('http - message totals are heartbeat deltas: monotonic through a node restart and a worker restart', async () => {
    const master = await startMaster({ recoveryWindowMs: 60_000 });
    const { fake, epoch } = await worker(master, 'w1', [
      { name: 'PARSE:1', type: 'PARSE' },
      { name: 'PARSE:2', type: 'PARSE' },
      { name: 'STORE:1', type: 'STORE' },
    ]);
    const beat = (
      nodes: NodeStatus[],
      queues?: { queue: string; ready: number; unacked: number; consumers: number }[],
    ) => fake.send({ kind: 'HEARTBEAT', masterEpoch: epoch, nodes, ...(queues && { queues }) });
    const processed = async (type: string, expected: number): Promise<string> =>
      (
        await eventually(
          () => get(`${master.httpUrl}/metrics`),
          (m) => sample(m.text, `monomyth_messages_processed_total{type="${type}"}`) === expected,
        )
      ).text;

    await beat(
      [node('PARSE:1', 'PARSE', { processed: 100, failed: 2, retried: 3, published: 200 })],
      [{ queue: 'in', ready: 40, unacked: 10, consumers: 1 }],
    );
    let text = await processed('PARSE', 100);
    expect(sample(text, 'monomyth_messages_failed_total{type="PARSE"}')).toBe(2);
    expect(sample(text, 'monomyth_messages_retried_total{type="PARSE"}')).toBe(3);
    expect(sample(text, 'monomyth_messages_published_total{type="PARSE"}')).toBe(200);
    expect(sample(text, 'monomyth_messages_received_total{type="PARSE"}')).toBe(105);
    expect(sample(text, 'monomyth_queue_messages_ready{queue="in"}')).toBe(40);
    expect(sample(text, 'monomyth_queue_messages_unacked{queue="in"}')).toBe(10);

    await beat([
      node('PARSE:1', 'PARSE', { processed: 150, failed: 2, retried: 3, published: 300 }),
    ]);
    await processed('PARSE', 150);
    // The node is rebuilt in its worker: its counters start at 0 again and its restart count moves.
    await beat([node('PARSE:1', 'PARSE', { processed: 20, restarts: 1, published: 40 })]);
    text = await processed('PARSE', 170);
    expect(sample(text, 'monomyth_node_restarts_total{type="PARSE"}')).toBe(1);
    expect(sample(text, 'monomyth_messages_published_total{type="PARSE"}')).toBe(340);
    // The worker process restarts: new node names, counters from 0.
    await beat([node('PARSE:2', 'PARSE', { processed: 5 })]);
    await processed('PARSE', 175);
    // The same heartbeat again adds nothing.
    await beat([node('PARSE:2', 'PARSE', { processed: 5 })]);
    await beat([
      node('PARSE:2', 'PARSE', { processed: 5 }),
      node('STORE:1', 'STORE', { processed: 1 }),
    ]);
    await processed('STORE', 1);
    expect(
      sample(
        (await get(`${master.httpUrl}/metrics`)).text,
        'monomyth_messages_processed_total{type="PARSE"}',
      ),
    ).toBe(175);
  });

  it('http - /api/cluster draws stages and queues as edges (fan-out, routes, fail queues, inputs) with workers', async () => {
    const master = await startMaster({ recoveryWindowMs: 60_000 });
    const { fake, epoch } = await worker(master, 'w1', [{ name: 'ENRICH:1', type: 'ENRICH' }]);
    await fake.send({
      kind: 'HEARTBEAT',
      masterEpoch: epoch,
      nodes: [
        node('ENRICH:1', 'ENRICH', {
          processed: 7,
          failed: 1,
          inFlight: 3,
          latencyP50Ms: 4,
          latencyP99Ms: 12,
        }),
      ],
      queues: [{ queue: 'PARSE-to-ENRICH', ready: 12, unacked: 3, consumers: 1 }],
    });
    const response = await eventually(
      () => get(`${master.httpUrl}/api/cluster`),
      (r) => (JSON.parse(r.text) as ClusterSnapshot).stages.some((s) => s.totals.processed === 7),
    );
    expect(response.type).toContain('application/json');
    const cluster = JSON.parse(response.text) as ClusterSnapshot;
    expect(cluster.stages.map((s) => s.type).sort()).toEqual(['AUDIT', 'ENRICH', 'PARSE', 'STORE']);
    const enrich = cluster.stages.find((s) => s.type === 'ENRICH')!;
    expect(enrich).toMatchObject({
      source: 'PARSE-to-ENRICH',
      running: 1,
      desired: 1,
      backlog: { ready: 12, unacked: 3 },
      inFlight: 3,
      totals: { processed: 7, failed: 1 },
    });
    const edge = (queue: string) => cluster.queues.filter((q) => q.queue === queue);
    expect(edge('in')).toEqual([
      { queue: 'in', from: null, to: ['PARSE'], kind: 'data', ready: null, unacked: null },
    ]);
    expect(edge('PARSE-to-ENRICH')).toMatchObject([
      { from: 'PARSE', to: ['ENRICH'], kind: 'data', ready: 12 },
    ]);
    expect(edge('PARSE-to-AUDIT')).toMatchObject([{ from: 'PARSE', to: ['AUDIT'], kind: 'data' }]);
    expect(edge('ENRICH-to-STORE')).toMatchObject([
      { from: 'ENRICH', to: ['STORE'], kind: 'route', route: 'good' },
    ]);
    expect(edge('quarantine')).toMatchObject([
      { from: 'ENRICH', to: [], kind: 'route', route: 'bad' },
    ]);
    for (const type of ['PARSE', 'ENRICH', 'AUDIT', 'STORE'])
      expect(edge(`${type}-fail`)).toMatchObject([{ from: type, to: [], kind: 'fail' }]);
    expect(cluster.workers).toMatchObject([{ workerId: 'w1', nodes: [{ name: 'ENRICH:1' }] }]);

    // The same heartbeat in the metrics: gauges per type, per queue and per worker.
    const text = (await get(`${master.httpUrl}/metrics`)).text;
    expect(sample(text, 'monomyth_messages_in_flight{type="ENRICH"}')).toBe(3);
    expect(sample(text, 'monomyth_messages_in_flight{type="PARSE"}')).toBe(0);
    expect(sample(text, 'monomyth_nodes_running{type="ENRICH"}')).toBe(1);
    expect(sample(text, 'monomyth_nodes_desired{type="ENRICH"}')).toBe(1);
    expect(sample(text, 'monomyth_queue_consumers{queue="PARSE-to-ENRICH"}')).toBe(1);
    expect(sample(text, 'monomyth_batch_latency_seconds{type="ENRICH",quantile="0.99"}')).toBe(
      0.012,
    );
    expect(sample(text, 'monomyth_batch_latency_seconds{type="ENRICH",quantile="0.5"}')).toBe(
      0.004,
    );
    expect(sample(text, 'monomyth_worker_nodes{worker="w1"}')).toBe(1);
    expect(sample(text, 'monomyth_worker_capacity{worker="w1"}')).toBe(8);
    expect(sample(text, 'monomyth_worker_last_heartbeat_age_seconds{worker="w1"}')).toBeLessThan(5);
  });

  it('http - /events streams snapshots about once a second; / is the dashboard page', async () => {
    const master = await startMaster();
    await worker(master, 'w1');
    const page = await get(`${master.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.text).toContain('new EventSource("events"');

    const controller = new AbortController();
    const response = await fetch(`${master.httpUrl}/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const startedAt = Date.now();
    while ((text.match(/event: snapshot/g) ?? []).length < 3) {
      const { value } = await reader.read();
      text += decoder.decode(value);
    }
    const elapsed = Date.now() - startedAt;
    controller.abort();
    // The first at once, then one a second.
    expect(elapsed).toBeGreaterThan(1000);
    expect(elapsed).toBeLessThan(4000);
    const first = JSON.parse(/data: (.*)\n/.exec(text)![1]!) as ClusterSnapshot;
    expect(first.stages).toHaveLength(4);
  });

  it('http - with a token, every path needs it (header or access_token); other paths 404, other methods 405', async () => {
    const master = await startMaster({ http: { host: '127.0.0.1', port: 0, token: 's3cret' } });
    for (const path of ['/', '/live', '/ready', '/metrics', '/api/cluster']) {
      expect((await get(`${master.httpUrl}${path}`)).status).toBe(401);
      expect(
        (await get(`${master.httpUrl}${path}`, { headers: { authorization: 'Bearer wrong!' } }))
          .status,
      ).toBe(401);
      expect(
        (await get(`${master.httpUrl}${path}`, { headers: { authorization: 'Bearer s3cret' } }))
          .status,
      ).toBe(200);
      expect((await get(`${master.httpUrl}${path}?access_token=s3cret`)).status).toBe(200);
    }
    const auth = { authorization: 'Bearer s3cret' };
    expect((await get(`${master.httpUrl}/nope`, { headers: auth })).status).toBe(404);
    expect((await get(`${master.httpUrl}/metrics`, { method: 'POST', headers: auth })).status).toBe(
      405,
    );
    expect((await get(`${master.httpUrl}/ready`, { method: 'HEAD', headers: auth })).status).toBe(
      200,
    );
  });

  it('http - malformed frames and lost workers are counted', async () => {
    const master = await startMaster();
    const { fake, epoch } = await worker(master, 'w1');
    await fake.send({ kind: 'HEARTBEAT', masterEpoch: epoch, nodes: [] });
    await fake.sendRaw([Buffer.from('MMOP/1'), Buffer.from('HEARTBEAT'), Buffer.from([0xc1])]);
    // w1 sends nothing more: lost after the liveness window (500 ms).
    const text = (
      await eventually(
        () => get(`${master.httpUrl}/metrics`),
        (m) => sample(m.text, 'monomyth_worker_losses_total{reason="silent"}') === 1,
      )
    ).text;
    expect(sample(text, 'monomyth_mmop_frames_malformed_total')).toBe(1);
    expect(sample(text, 'monomyth_workers_online{state="active"}')).toBe(0);
  });

  it('http - a bad http option is an InvalidOptionError; an address in use fails create and frees the MMOP port', async () => {
    await expect(Master.create({ http: { host: '127.0.0.1', port: 70000 } })).rejects.toThrow(
      InvalidOptionError,
    );
    await expect(Master.create({ http: { host: '', port: 1 } })).rejects.toThrow(/http\.host/);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as { port: number }).port;
    await expect(
      Master.create({ bind: 'tcp://127.0.0.1:*', http: { host: '127.0.0.1', port } }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('http - a request target that is not a URL is 400, and the server goes on', async () => {
    const master = await startMaster();
    const { port } = new URL(master.httpUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('GET http://[not-a-host HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('{"error":"bad request target"}');
    expect((await get(`${master.httpUrl}/live`)).status).toBe(200);
  });

  it('http - with CURVE on, the HTTP endpoints need no MMOP key (an operator port, its own token)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'monomyth-http-curve-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'workers'));
    const master = await startMaster({
      curveSecretKey: generateCurveKeyPair().secretKey,
      workersKeysDir: join(dir, 'workers'),
    });
    expect(master.publicKey).toBeDefined();
    expect((await get(`${master.httpUrl}/ready`)).status).toBe(200);
    const cluster = JSON.parse(
      (await get(`${master.httpUrl}/api/cluster`)).text,
    ) as ClusterSnapshot;
    expect(cluster).toMatchObject({ stages: [], workers: [], endpoint: master.endpoint });
  });

  it('http - close() stops the server', async () => {
    const master = await startMaster();
    const url = master.httpUrl;
    await master.close();
    await expect(fetch(`${url}/live`)).rejects.toThrow();
  });
});
