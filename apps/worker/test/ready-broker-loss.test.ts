/**
 * A worker's /ready through the loss of its broker, as a Kubernetes readiness probe sees it: a built monomyth-worker
 * of the 4-stage example with --http, registered with a master, on a RabbitMQ of the test's own (so killing it
 * disturbs no other test). The broker is killed: /ready answers 503 with the adapter's reason while /live stays 200;
 * the broker comes back on the same port: /ready answers 200 again, without the worker restarting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RabbitMqServer, freePort } from '@monomyth/testing';
import { FOUR_STAGE_SYSTEM, Processes, control, eventually } from '../../control/test/processes.js';

const processes = new Processes();
let broker: RabbitMqServer | undefined;

beforeAll(async () => {
  broker = await RabbitMqServer.start();
}, 120_000);
afterEach(() => processes.killAll());
afterAll(async () => {
  await broker?.stop();
});

interface Probe {
  readonly status: number;
  readonly body: string;
}

async function probe(url: string): Promise<Probe> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

describe('monomyth-worker /ready through a broker loss', () => {
  it('broker lost - /ready is 503 with the reason while /live stays 200; 200 again once the broker is back', async () => {
    const amqp = broker!;
    const { master } = await processes.startMaster({ heartbeatMs: 400, heartbeatMisses: 5 });
    const port = await freePort();
    const http = `http://127.0.0.1:${port}`;
    const worker = processes.start('worker', [
      ...['--master', master, '--system', FOUR_STAGE_SYSTEM, '--amqp', amqp.url],
      ...['--name', 'broker-loss', '--http', `127.0.0.1:${port}`],
    ]);
    await eventually(
      () => probe(`${http}/ready`).catch(() => ({ status: 0, body: '' })),
      (response) => response.status === 200,
      30_000,
    );
    // A node consuming: its connections are in use when the broker goes.
    await control(master, ['start', 'TEST-NODE1']);

    await amqp.kill();
    const lost = await eventually(
      () => probe(`${http}/ready`),
      (response) => response.status === 503,
      20_000,
    );
    expect(JSON.parse(lost.body)).toEqual({
      ready: false,
      reason: 'the stream adapter is not connected to its broker',
    });
    expect((await probe(`${http}/live`)).status).toBe(200);

    await amqp.restart();
    const back = await eventually(
      () => probe(`${http}/ready`),
      (response) => response.status === 200,
      60_000,
    );
    expect(JSON.parse(back.body)).toEqual({ ready: true });
    // The same process all along: it reconnected rather than restarted.
    expect(worker.exitCode).toBeNull();
    expect(worker.output()).not.toContain('gave up');
  }, 150_000);
});
