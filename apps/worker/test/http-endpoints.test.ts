/**
 * monomyth-worker --http, as an operator probes and scrapes it: real processes (a master, a worker, the monomyth CLI) on
 * the test's RabbitMQ. /live answers while the process runs; /ready is 503 with a reason until the worker registers, 200
 * while registered, 503 again once its master is gone; /metrics counts exactly the messages sent through a small
 * system, per node type.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '@monomyth/testing';
import { control, eventually, exited, run } from '../../control/test/processes.js';
import { useTestCluster } from '../../control/test/test-cluster.js';

const SYSTEM = fileURLToPath(new URL('fixtures/metrics-system.mjs', import.meta.url));
const TYPES = ['METRICS-A', 'METRICS-B'];
const INPUT = 'START-to-METRICS-A';
const OUTPUT = 'METRICS-B-to-END';
const QUEUES = [INPUT, 'METRICS-A-to-METRICS-B', OUTPUT, ...TYPES.map((type) => `${type}-fail`)];

const amqpUrl = inject('amqpUrl');
const { processes, amqp, deleteQueues } = useTestCluster();

interface Probe {
  readonly status: number;
  readonly body: string;
  readonly contentType: string | null;
}

async function probe(url: string, headers: Record<string, string> = {}): Promise<Probe> {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    body: await response.text(),
    contentType: response.headers.get('content-type'),
  };
}

/** The value of one series in a Prometheus text exposition, or undefined when it is not there. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function startWorker(
  master: string,
  name: string,
  extra: readonly string[] = [],
): Promise<{ http: string; child: ReturnType<typeof processes.start> }> {
  const port = await freePort();
  const args = ['--master', master, '--system', SYSTEM, '--name', name, '--drain-ms', '2000'];
  const child = processes.start('worker', [...args, '--http', `127.0.0.1:${port}`, ...extra], {
    MONOMYTH_AMQP_URL: amqpUrl,
  });
  const http = `http://127.0.0.1:${port}`;
  // Listening once the adapter is open: /live answers from then on (401 without the token, when one is set).
  await eventually(
    () => probe(`${http}/live`).catch(() => undefined),
    (response) => response !== undefined,
    20_000,
  );
  return { http, child };
}

async function publishInputs(inputs: readonly string[]): Promise<void> {
  const channel = await amqp().createConfirmChannel();
  await channel.checkQueue(INPUT);
  for (const input of inputs) channel.sendToQueue(INPUT, Buffer.from(JSON.stringify(input)));
  await channel.waitForConfirms();
  await channel.close();
}

/** Waits until `count` outputs are on the last queue (nobody consumes it). */
async function outputsWaiting(count: number): Promise<void> {
  const channel = await amqp().createChannel();
  try {
    await eventually(
      () => channel.checkQueue(OUTPUT),
      (reply) => reply.messageCount >= count,
      30_000,
    );
  } finally {
    await channel.close();
  }
}

describe('monomyth-worker --http', () => {
  it('no master - /live is 200, /ready is 503 with its reason, /metrics lists every type at 0 and the process metrics', async () => {
    if (!existsSync(SYSTEM)) throw new Error(`${SYSTEM} is missing`);
    const { http } = await startWorker(`tcp://127.0.0.1:${await freePort()}`, 'http-alone');

    const live = await probe(`${http}/live`);
    expect(live.status).toBe(200);
    const ready = await probe(`${http}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.contentType).toBe('application/json');
    expect(JSON.parse(ready.body)).toEqual({
      ready: false,
      reason: 'not registered with a master yet',
    });

    const metrics = await probe(`${http}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const type of TYPES) {
      for (const counter of ['received', 'processed', 'failed', 'retried', 'published'])
        expect(sample(metrics.body, `monomyth_messages_${counter}_total{type="${type}"}`)).toBe(0);
      expect(sample(metrics.body, `monomyth_messages_in_flight{type="${type}"}`)).toBe(0);
    }
    expect(metrics.body).toContain('# TYPE monomyth_messages_processed_total counter');
    expect(metrics.body).toContain('# TYPE monomyth_batch_duration_seconds histogram');
    // Node's default process metrics, from prom-client.
    expect(sample(metrics.body, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(metrics.body).toContain('nodejs_eventloop_lag_seconds');

    expect((await probe(`${http}/nope`)).status).toBe(404);
  }, 60_000);

  it('--http-token - every endpoint is 401 without the bearer token, and answers with it', async () => {
    const { http } = await startWorker(`tcp://127.0.0.1:${await freePort()}`, 'http-token', [
      '--http-token',
      's3cret',
    ]);
    for (const path of ['/live', '/ready', '/metrics']) {
      expect((await probe(`${http}${path}`)).status).toBe(401);
      expect((await probe(`${http}${path}`, { authorization: 'Bearer wrong!' })).status).toBe(401);
    }
    const authorization = { authorization: 'Bearer s3cret' };
    expect((await probe(`${http}/live`, authorization)).status).toBe(200);
    expect((await probe(`${http}/metrics`, authorization)).status).toBe(200);
  }, 60_000);

  it('SIGTERM - the worker drains and exits 0; the endpoints close with it', async () => {
    const { http, child } = await startWorker(`tcp://127.0.0.1:${await freePort()}`, 'http-term');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    await expect(fetch(`${http}/live`)).rejects.toThrow();
  }, 30_000);

  it('bad --http - exit 2 with one line naming the value', async () => {
    const result = await run('worker', [
      '--master',
      'tcp://127.0.0.1:1',
      '--system',
      SYSTEM,
      '--memory',
      '--http',
      'localhost:99999',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--http: expected HOST:PORT or PORT (port 0 to 65535), got 'localhost:99999'",
    );
    const tokenAlone = await run('worker', [
      '--master',
      'tcp://127.0.0.1:1',
      '--system',
      SYSTEM,
      '--memory',
      '--http-token',
      'x',
    ]);
    expect(tokenAlone.code).toBe(2);
    expect(tokenAlone.stderr).toContain('--http-token needs --http');
  }, 30_000);

  it('with a master - /ready turns 200 on registration, /metrics counts every message sent, /ready is 503 once the master is gone', async () => {
    await deleteQueues(QUEUES);
    const { master, child: masterProcess } = await processes.startMaster({
      heartbeatMs: 400,
      heartbeatMisses: 4,
    });
    const { http } = await startWorker(master, 'http-metrics');
    const ready = await eventually(
      () => probe(`${http}/ready`),
      (response) => response.status === 200,
      20_000,
    );
    expect(JSON.parse(ready.body)).toEqual({ ready: true });

    for (const type of TYPES) await control(master, ['start', type]);
    const inputs = Array.from({ length: 137 }, (_, i) => `input-${i}`);
    await publishInputs(inputs);
    await outputsWaiting(inputs.length);

    // The output is published before its source is acknowledged and counted: wait for the counts to settle.
    const scrape = await eventually(
      async () => (await probe(`${http}/metrics`)).body,
      (text) =>
        TYPES.every(
          (type) =>
            sample(text, `monomyth_messages_processed_total{type="${type}"}`) === inputs.length,
        ),
      10_000,
    );
    for (const type of TYPES) {
      expect(sample(scrape, `monomyth_messages_received_total{type="${type}"}`)).toBe(
        inputs.length,
      );
      expect(sample(scrape, `monomyth_messages_published_total{type="${type}"}`)).toBe(
        inputs.length,
      );
      expect(sample(scrape, `monomyth_messages_failed_total{type="${type}"}`)).toBe(0);
      expect(sample(scrape, `monomyth_messages_retried_total{type="${type}"}`)).toBe(0);
      expect(sample(scrape, `monomyth_messages_in_flight{type="${type}"}`)).toBe(0);
      // Batches of at most 10: at least 14 batches of 137 messages, each timed once.
      const batches = sample(scrape, `monomyth_batch_duration_seconds_count{type="${type}"}`);
      expect(batches).toBeGreaterThanOrEqual(14);
      expect(sample(scrape, `monomyth_batch_duration_seconds_bucket{le="60",type="${type}"}`)).toBe(
        batches,
      );
    }
    // Labelled by type only: no node names, no worker id in any series.
    expect(scrape).not.toMatch(/^monomyth_[^\n]*(node|worker)=/m);

    masterProcess.kill('SIGKILL');
    await exited(masterProcess);
    const notReady = await eventually(
      () => probe(`${http}/ready`),
      (response) => response.status === 503,
      20_000,
    );
    expect(JSON.parse(notReady.body)).toEqual({
      ready: false,
      reason: 'registering again: the master stopped answering',
    });
    expect((await probe(`${http}/live`)).status).toBe(200);
  }, 120_000);
});
