/**
 * monomyth-worker whose link to the master fails: the built command, a real process and a real fault. libzmq refuses
 * an ipc endpoint whose path is longer than a socket address holds (ENAMETOOLONG) when the link thread connects, after
 * the arguments were accepted. The worker must not wait forever: it exits 1 with one line on stderr that says why.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FOUR_STAGE_SYSTEM, useWorkerCommand } from './worker-command.js';

const startWorker = useWorkerCommand();

describe('monomyth-worker link failure', () => {
  it('link failure - a socket that cannot reach its endpoint makes the worker exit 1 with one line', async () => {
    const endpoint = `ipc://${join(tmpdir(), 'x'.repeat(200))}`;
    const child = startWorker(
      ['--master', endpoint, '--system', FOUR_STAGE_SYSTEM, '--memory', '--name', 'link-failure'],
      { MONOMYTH_MASTER: '' },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Before the fix the process never exited: bound the wait well under the test's timeout.
    const code = await new Promise<number | null | 'hung'>((resolve) => {
      const timer = setTimeout(() => resolve('hung'), 15_000);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^monomyth-worker: the link to the master failed: could not connect to ipc:\/\/.*: File name too long$/,
    );
    // The log says the same, as JSON on stdout, with the worker's state moving to failed.
    expect(stdout).toContain('the link to the master failed');
    expect(stdout).toContain('"to":"failed"');
  }, 30_000);
});
