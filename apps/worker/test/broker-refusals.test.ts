/**
 * monomyth-worker against the test broker with a virtual host that does not exist and with a wrong password: a real
 * RabbitMQ refusing each. The worker exits 1 with one line on stderr that says what was refused in plain words, the
 * URL's password hidden, and never amqplib's `Expected ConnectionOpenOk; got <ConnectionClose channel:0>`.
 */
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '@monomyth/testing';
import { FOUR_STAGE_SYSTEM, useWorkerCommand } from './worker-command.js';

const startWorker = useWorkerCommand();

async function runWorker(
  amqp: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const master = `tcp://127.0.0.1:${await freePort()}`;
  const child = startWorker(['--master', master, '--system', FOUR_STAGE_SYSTEM, '--amqp', amqp]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

/** The test broker's URL with `change` applied. */
function brokerUrl(change: (url: URL) => void): { url: string; shown: string } {
  const url = new URL(inject('amqpUrl'));
  change(url);
  const shown = new URL(url);
  shown.password = '***';
  return { url: url.toString(), shown: shown.toString().replace(/\/$/, '') };
}

describe('monomyth-worker broker refusals', () => {
  it('unknown vhost - names the virtual host and the URL, exit 1, one line', async () => {
    const { url, shown } = brokerUrl((u) => (u.pathname = '/no-such-vhost'));
    const result = await runWorker(url);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `monomyth-worker: could not open the stream adapter: RabbitMQ at ${shown} refused the virtual host ` +
        '"no-such-vhost": it does not exist, or the user has no permission on it\n',
    );
    // amqplib's text stays only as the logged error's cause, for whoever debugs it.
    const fatal = JSON.parse(
      result.stdout.split('\n').find((line) => line.includes('"level":60'))!,
    ) as {
      err: { message: string; reason: string; cause: { message: string } };
    };
    expect(fatal.err).toMatchObject({ reason: 'vhost-refused' });
    expect(fatal.err.message).not.toContain('Expected ConnectionOpenOk');
    expect(fatal.err.cause.message).toContain('Expected ConnectionOpenOk');
  });

  it('bad credentials - "RabbitMQ refused the user/password for <url>", password hidden, exit 1, one line', async () => {
    const { url, shown } = brokerUrl((u) => (u.password = 'wrong-s3cret'));
    const result = await runWorker(url);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `monomyth-worker: could not open the stream adapter: RabbitMQ refused the user/password for ${shown}\n`,
    );
    expect(result.stdout + result.stderr).not.toContain('wrong-s3cret');
  });
});
