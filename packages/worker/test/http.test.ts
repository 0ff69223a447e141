/**
 * The worker's metrics and endpoints in one process: WorkerMetrics counts what real nodes (on the in-memory adapter)
 * did, summed per type across a node stopped and built again under the same name; the HTTP server answers each route,
 * method and token case; `--http` addresses parse or are refused by name; readiness names why it is not ready.
 */
import { describe, expect, it } from 'vitest';
import { createNode, defineSystem, noopLogger } from '@monomyth/node';
import type { Node } from '@monomyth/node';
import { MemoryStreamAdapter } from '@monomyth/node/memory';
import { eventually } from '@monomyth/testing';
import { WorkerMetrics, startWorkerHttp, workerReadiness } from '../src/index.js';
import { BatchDurationCollector } from '../src/http/batch-duration.js';
import { cleanupsAfterEach } from './helpers.js';

const defer = cleanupsAfterEach();

const system = defineSystem({
  name: 'metrics',
  nodes: [
    {
      name: 'ECHO',
      batchSize: 5,
      batchTimeoutMs: 5,
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      transform: (input: string) => {
        if (input === 'bad') throw new Error('bad input');
        return input;
      },
    },
  ],
});

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function send(adapter: MemoryStreamAdapter, inputs: readonly string[]): Promise<void> {
  await adapter.publish(
    inputs.map((input) => ({
      queue: 'START-to-ECHO',
      body: new TextEncoder().encode(JSON.stringify(input)),
    })),
  );
}

describe('worker metrics', () => {
  it('metrics - counts per type stay monotonic across a node stopped and built again: what it counted is kept', async () => {
    const adapter = new MemoryStreamAdapter();
    await adapter.open();
    defer(() => adapter.close());
    let running: Node | undefined;
    const metrics = new WorkerMetrics({
      types: ['ECHO'],
      defaultMetrics: false,
      nodes: () => (running ? [{ ...running.stats(), restarts: 0 }] : []),
    });
    const build = (): Node =>
      createNode(system, 'ECHO', {
        adapter,
        logger: noopLogger,
        interceptors: [metrics.interceptor],
        name: 'ECHO-1',
      });
    const scrape = async (counter: string): Promise<number | undefined> =>
      sample(await metrics.metrics(), `monomyth_messages_${counter}_total{type="ECHO"}`);

    running = build();
    await running.start();
    void running.run().catch(() => {});
    await send(adapter, ['a', 'b', 'bad', 'c', 'd', 'e', 'f']);
    await eventually(
      () => running!.stats(),
      (stats) => stats.processed === 6 && stats.failed === 1,
      { timeoutMs: 5_000, intervalMs: 10 },
    );
    expect(await scrape('processed')).toBe(6);
    await running.drain(1_000);

    // Built again under the same name, as the supervisor does after a crash: its own counters start at 0.
    running = build();
    await running.start();
    void running.run().catch(() => {});
    await send(adapter, ['g', 'h', 'bad', 'i']);
    await eventually(
      () => running!.stats(),
      (stats) => stats.processed === 3 && stats.failed === 1,
      { timeoutMs: 5_000, intervalMs: 10 },
    );
    const text = await metrics.metrics();
    await running.drain(1_000);
    running = undefined;

    expect(sample(text, 'monomyth_messages_processed_total{type="ECHO"}')).toBe(9);
    expect(sample(text, 'monomyth_messages_published_total{type="ECHO"}')).toBe(9);
    expect(sample(text, 'monomyth_messages_failed_total{type="ECHO"}')).toBe(2);
    // Each bad input was tried twice: one retry, then the fail queue; both attempts were received.
    expect(sample(text, 'monomyth_messages_retried_total{type="ECHO"}')).toBe(2);
    expect(sample(text, 'monomyth_messages_received_total{type="ECHO"}')).toBe(13);
    expect(sample(text, 'monomyth_messages_in_flight{type="ECHO"}')).toBe(0);
    expect(sample(text, 'monomyth_batch_duration_seconds_count{type="ECHO"}')).toBeGreaterThan(0);
    // Without default metrics, only the worker's own.
    expect(text).not.toContain('process_cpu_seconds_total');
  });

  it('metrics - the in-flight gauge reads the nodes on scrape, summed per type, and types with none read 0', async () => {
    const inFlight = [
      { type: 'A', inFlight: 3 },
      { type: 'A', inFlight: 4 },
      { type: 'B', inFlight: 0 },
    ];
    const metrics = new WorkerMetrics({
      types: ['A', 'B', 'C'],
      defaultMetrics: false,
      nodes: () =>
        inFlight.map((node, i) => ({
          name: `${node.type}-${i}`,
          type: node.type,
          state: 'running',
          processed: 0,
          failed: 0,
          retried: 0,
          inFlight: node.inFlight,
          batches: 0,
          restarts: 0,
          latencyP50Ms: 0,
          latencyP99Ms: 0,
        })),
    });
    const text = await metrics.metrics();
    expect(sample(text, 'monomyth_messages_in_flight{type="A"}')).toBe(7);
    expect(sample(text, 'monomyth_messages_in_flight{type="B"}')).toBe(0);
    expect(sample(text, 'monomyth_messages_in_flight{type="C"}')).toBe(0);
    inFlight.length = 0;
    expect(sample(await metrics.metrics(), 'monomyth_messages_in_flight{type="A"}')).toBe(0);
  });
});

describe('batch duration histogram', () => {
  it('histogram - cumulative buckets (a bound is inclusive), +Inf takes what is past the last bound, sum and count', async () => {
    const histogram = new BatchDurationCollector('h', 'help', [0.01, 0.1, 1]);
    const a = histogram.countsOf('A');
    for (const seconds of [0.005, 0.01, 0.05, 0.5, 7]) histogram.record(a, seconds);
    histogram.countsOf('B');
    const registry = new WorkerMetrics({ defaultMetrics: false }).registry;
    registry.registerMetric(histogram as unknown as Parameters<typeof registry.registerMetric>[0]);
    const text = await registry.getSingleMetricAsString('h');
    expect(text.split('\n')).toEqual([
      '# HELP h help',
      '# TYPE h histogram',
      'h_bucket{le="0.01",type="A"} 2',
      'h_bucket{le="0.1",type="A"} 3',
      'h_bucket{le="1",type="A"} 4',
      'h_bucket{le="+Inf",type="A"} 5',
      // Summed in the same order, so to the same double.
      `h_sum{type="A"} ${0 + 0.005 + 0.01 + 0.05 + 0.5 + 7}`,
      'h_count{type="A"} 5',
      'h_bucket{le="0.01",type="B"} 0',
      'h_bucket{le="0.1",type="B"} 0',
      'h_bucket{le="1",type="B"} 0',
      'h_bucket{le="+Inf",type="B"} 0',
      'h_sum{type="B"} 0',
      'h_count{type="B"} 0',
    ]);
    histogram.reset();
    expect(await registry.getSingleMetricAsString('h')).toContain('h_count{type="A"} 0');
  });
});

describe('worker http', () => {
  async function server(ready: () => string | undefined, token?: string): Promise<string> {
    const metrics = new WorkerMetrics({ types: ['T'], defaultMetrics: false });
    const http = await startWorkerHttp({ host: '127.0.0.1', port: 0, ready, metrics, token });
    defer(() => http.close());
    expect(http.address.port).toBeGreaterThan(0);
    return http.url;
  }

  it('http - routes: GET and HEAD answer, another method is 405, another path 404; /ready follows the probe', async () => {
    let reason: string | undefined = 'not yet';
    const url = await server(() => reason);
    expect((await fetch(`${url}/live`)).status).toBe(200);
    const notReady = await fetch(`${url}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reason: 'not yet' });
    reason = undefined;
    const ready = await fetch(`${url}/ready?verbose=1`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain(
      'monomyth_messages_processed_total{type="T"} 0',
    );
  });

  it('http - a token: 401 with WWW-Authenticate without it or with another, 200 with it', async () => {
    const url = await server(() => undefined, 'tok');
    const missing = await fetch(`${url}/live`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${url}/live`, { headers: { authorization: 'Bearer tek' } })).status).toBe(
      401,
    );
    expect((await fetch(`${url}/live`, { headers: { authorization: 'Bearer tok' } })).status).toBe(
      200,
    );
  });

  it('http - an address in use is a rejection, not a crash', async () => {
    const metrics = new WorkerMetrics({ defaultMetrics: false });
    const first = await startWorkerHttp({
      host: '127.0.0.1',
      port: 0,
      ready: () => undefined,
      metrics,
    });
    defer(() => first.close());
    await expect(
      startWorkerHttp({ ...first.address, ready: () => undefined, metrics }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('workerReadiness - not registered, registering again, draining, adapter disconnected or given up: each named', async () => {
    const worker = { state: 'registering' as const, masterEpoch: '' } as {
      state: 'registering' | 'registered' | 'draining';
      masterEpoch: string;
    };
    const adapter = Object.assign(new MemoryStreamAdapter(), { connected: true });
    let giveUp!: (error: Error) => void;
    const adapterFailed = new Promise<Error>((resolve) => (giveUp = resolve));
    const probe = workerReadiness({ worker, adapter, adapterFailed });
    expect(probe()).toBe('not registered with a master yet');
    worker.state = 'registered';
    worker.masterEpoch = 'e1';
    expect(probe()).toBeUndefined();
    adapter.connected = false;
    expect(probe()).toBe('the stream adapter is not connected to its broker');
    adapter.connected = true;
    giveUp(new Error('5 reconnection attempts failed'));
    await Promise.resolve();
    expect(probe()).toBe('the stream adapter gave up: 5 reconnection attempts failed');
    worker.state = 'registering';
    expect(probe()).toBe('registering again: the master stopped answering');
    worker.state = 'draining';
    expect(probe()).toBe('the worker is draining');
  });
});
