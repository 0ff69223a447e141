/**
 * A real Prometheus (Debian's `prometheus`, installed by scripts/test.sh) on its own port and data directory scrapes
 * a running monomyth-master and monomyth-worker every second, as an operator would set it up (docs/observability.md's
 * scrape config). After the 4-stage example has processed N inputs, Prometheus's HTTP API answers
 * `monomyth_messages_processed_total` = N for each of the four stages, from the master (summed from heartbeats) and from
 * the worker (its own counters), and both targets are up. Without the prometheus binary the test fails, saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort } from '@monomyth/testing';
import { TYPES, startObservedCluster } from './observed-cluster.js';
import type { ObservedCluster } from './observed-cluster.js';

const INPUTS = 300;

/** The prometheus binary: PROMETHEUS_BIN, else the one on the PATH. */
function prometheusBinary(): string {
  const given = process.env.PROMETHEUS_BIN;
  if (given) return given;
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '')
    throw new Error(
      'prometheus is not installed: scripts/test.sh installs it (apt-get install prometheus), or set PROMETHEUS_BIN',
    );
  return path;
}

let cluster: ObservedCluster | undefined;
let prometheus: ChildProcess | undefined;
let prometheusUrl = '';
let dir = '';
let prometheusLog = '';

beforeAll(async () => {
  const binary = prometheusBinary();
  cluster = await startObservedCluster();
  dir = await mkdtemp(join(tmpdir(), 'monomyth-prometheus-'));
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: monomyth-master',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${cluster.masterHttpPort}']`,
      '  - job_name: monomyth-worker',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${cluster.workerHttpPort}']`,
      '',
    ].join('\n'),
  );
  prometheus = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
  prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
  await eventually(
    () =>
      fetch(`${prometheusUrl}/-/ready`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 200,
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}, 120_000);

afterAll(async () => {
  prometheus?.kill('SIGKILL');
  await cluster?.stop();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<VectorSample[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; data: { result: VectorSample[] } };
  if (body.status !== 'success') throw new Error(`query ${promql} failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** `{ TYPE: value }` of a query's samples labelled by type. */
async function byType(promql: string): Promise<Record<string, number>> {
  return Object.fromEntries(
    (await query(promql)).map((sample) => [sample.metric.type, Number(sample.value[1])]),
  );
}

describe('monomyth-master --http scraped by Prometheus', () => {
  it('prometheus - monomyth_messages_processed_total per stage equals the inputs sent, from master and worker', async () => {
    const running = cluster!;
    const up = await eventually(
      () => query('up'),
      (samples) => samples.length === 2 && samples.every((s) => s.value[1] === '1'),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(up.map((s) => s.metric.job).sort()).toEqual(['monomyth-master', 'monomyth-worker']);

    await running.publish(INPUTS);
    const expected = Object.fromEntries(TYPES.map((type) => [type, INPUTS]));
    try {
      const fromMaster = await eventually(
        () => byType('monomyth_messages_processed_total{job="monomyth-master"}'),
        (totals) => TYPES.every((type) => totals[type] === INPUTS),
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(fromMaster).toEqual(expected);
      const fromWorker = await eventually(
        () => byType('monomyth_messages_processed_total{job="monomyth-worker"}'),
        (totals) => TYPES.every((type) => totals[type] === INPUTS),
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(fromWorker).toEqual(expected);
    } catch (error) {
      throw new Error(
        `${String(error)}\n--- cluster ---\n${running.output()}\n--- prometheus ---\n${prometheusLog}`,
      );
    }

    // The master's other series are there too, with the labels the docs promise.
    expect(await byType('monomyth_nodes_running{job="monomyth-master"}')).toEqual(
      Object.fromEntries(TYPES.map((type) => [type, 1])),
    );
    expect(await byType('monomyth_messages_failed_total{job="monomyth-master"}')).toEqual(
      Object.fromEntries(TYPES.map((type) => [type, 0])),
    );
    const workers = await query('monomyth_workers_online{job="monomyth-master",state="active"}');
    expect(workers.map((s) => s.value[1])).toEqual(['1']);
    const queues = await query('monomyth_queue_messages_ready{job="monomyth-master"}');
    expect(queues.map((s) => s.metric.queue).sort()).toEqual([
      'START-to-TEST-NODE1',
      'TEST-NODE1-to-TEST-NODE2',
      'TEST-NODE2-to-TEST-NODE3',
      'TEST-NODE3-to-TEST-NODE4',
    ]);
    // A PromQL rate over the counters works: what the docs' alert rules rely on.
    const rates = await query(
      'sum by (type) (rate(monomyth_messages_processed_total{job="monomyth-master"}[1m]))',
    );
    expect(rates).toHaveLength(4);
  });
});
