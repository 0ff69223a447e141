/**
 * monomyth-worker's broker flags, as a user types them, on the built command: `--amqp` with a list of URLs (a dead
 * first node is skipped), bad lists refused with exit 2 and no password shown, `--queue-type` checked, and
 * `--quorum-queues` still accepted with a deprecation warning.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { eventually, freePort } from '@monomyth/testing';
import { FOUR_STAGE_SYSTEM, useWorkerCommand } from './worker-command.js';

interface Started {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const startWorker = useWorkerCommand();

async function worker(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  // No master listens there: the worker keeps trying to register, which is all these tests need.
  const master = `tcp://127.0.0.1:${await freePort()}`;
  const child = startWorker(
    ['--master', master, '--system', FOUR_STAGE_SYSTEM, '--name', 'flags', ...args],
    { MONOMYTH_AMQP_URL: '', ...env },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
}

/** A URL of the test broker on a port nothing listens on: a cluster node that is down. */
async function deadUrl(password = 'guest'): Promise<string> {
  const url = new URL(inject('amqpUrl'));
  url.port = String(await freePort());
  url.password = password;
  return url.toString();
}

/** The JSON log lines whose `msg` is `message`. */
function logged(output: string, message: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === message);
}

describe('monomyth-worker broker flags', () => {
  it('--amqp list - a first URL that is down is skipped; the worker connects to the next', async () => {
    const live = inject('amqpUrl');
    const started = await worker(['--amqp', `${await deadUrl()}, ${live}`]);
    await eventually(
      () => started.output(),
      (output) => output.includes('connected to RabbitMQ'),
      {
        timeoutMs: 15_000,
        intervalMs: 50,
      },
    );
    const connected = logged(started.output(), 'RabbitMQ connected');
    expect(connected).toHaveLength(2); // the consuming and the publishing connection
    for (const line of connected)
      expect(line.url).toBe(new URL(live.replace(':guest@', ':***@')).toString());
    expect(started.child.exitCode).toBe(null);
  });

  it('--amqp from MONOMYTH_AMQP_URL - every URL down: exits 1 naming each, passwords hidden', async () => {
    const urls = [await deadUrl('s3cret'), await deadUrl('s3cret')];
    const started = await worker([], { MONOMYTH_AMQP_URL: urls.join(',') });
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain('could not open the stream adapter');
    for (const url of urls) expect(started.output()).toContain(url.replace('s3cret', '***'));
    expect(started.output()).not.toContain('s3cret');
  });

  it('--amqp list - an entry that is not an AMQP URL, or an empty list, is bad usage (exit 2), password hidden', async () => {
    const bad = await worker(['--amqp', `${inject('amqpUrl')},http://user:pw123@host`]);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('http://user:***@host');
    expect(bad.output()).not.toContain('pw123');
    const empty = await worker(['--amqp', ' , ']);
    expect(await empty.exited).toBe(2);
    expect(empty.output()).toContain('expected one or more amqp:// URLs');
  });

  it('--queue-type - only quorum or classic; --quorum-queues is a deprecated alias that contradicts classic', async () => {
    const bogus = await worker(['--amqp', inject('amqpUrl'), '--queue-type', 'stream']);
    expect(await bogus.exited).toBe(2);
    expect(bogus.output()).toMatch(/--queue-type.*stream.*quorum, classic/s);
    const contradiction = await worker([
      '--amqp',
      inject('amqpUrl'),
      '--quorum-queues',
      '--queue-type',
      'classic',
    ]);
    expect(await contradiction.exited).toBe(2);
    expect(contradiction.output()).toContain('contradicts');
    const alias = await worker(['--amqp', inject('amqpUrl'), '--quorum-queues']);
    await eventually(
      () => alias.output(),
      (output) => output.includes('connected to RabbitMQ'),
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    expect(alias.output()).toContain('--quorum-queues is deprecated');
  });
});
