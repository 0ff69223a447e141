/**
 * monomyth-worker pointed at a master that is not there: a real process, and an endpoint nothing listens on. The
 * worker keeps trying, and says so at warn with the endpoint: once at once, then once every 30 s, never a line a
 * second and never a stack.
 */
import { describe, expect, it } from 'vitest';
import { eventually, freePort } from '@monomyth/testing';
import { FOUR_STAGE_SYSTEM, useWorkerCommand } from './worker-command.js';

const startWorker = useWorkerCommand();

interface LogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

describe('monomyth-worker with no master', () => {
  it('unreachable master - warned at once with the endpoint, then again after 30 s, while the worker keeps trying', async () => {
    const master = `tcp://127.0.0.1:${await freePort()}`;
    const startedAt = Date.now();
    const child = startWorker([
      '--master',
      master,
      '--system',
      FOUR_STAGE_SYSTEM,
      '--memory',
      '--log-level',
      'debug',
    ]);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const log = (): LogLine[] =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine);
    const warnings = (): LogLine[] =>
      log().filter((line) => line.level === 40 && line.msg.includes('is not reachable'));

    const [first] = await eventually(warnings, (lines) => lines.length === 1, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    expect(first).toMatchObject({
      master,
      msg: `the master at ${master} is not reachable: READY not sent; still trying`,
    });
    expect(first!.time - startedAt).toBeLessThan(5_000);

    const both = await eventually(warnings, (lines) => lines.length === 2, {
      timeoutMs: 40_000,
      intervalMs: 250,
    });
    const second = both[1]!;
    expect(second.time - first!.time).toBeGreaterThanOrEqual(29_500);
    expect(second.time - first!.time).toBeLessThan(33_000);
    expect(second.forMs).toBeGreaterThanOrEqual(29_500);
    // Still there, still trying; and no per-attempt line, not even at debug, and no stack anywhere.
    expect(child.exitCode).toBe(null);
    expect(stdout).not.toContain('READY not sent; the master is not connected');
    expect(stdout).not.toContain('"stack"');
    // Those two are the only warnings: replacing the socket that never connected is not news.
    expect(log().filter((line) => line.level >= 40)).toEqual(both);
  }, 60_000);
});
