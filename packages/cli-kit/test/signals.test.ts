import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@monomyth/testing';

const FIXTURE = fileURLToPath(new URL('./fixtures/two-stage.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Started {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until the process has printed `count` drain lines for `signal`. */
  drained(signal: NodeJS.Signals, count?: number): Promise<unknown>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Runs the fixture as a real process (tsx from the repository root) and collects its JSON lines. */
async function start(): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    for (const text of complete) lines.push(JSON.parse(text) as Record<string, unknown>);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await eventually(
    () => lines,
    (seen) => seen.some((line) => line.ready === true),
    { timeoutMs: 20_000 },
  );
  const drained = (signal: NodeJS.Signals, count = 1): Promise<unknown> =>
    eventually(
      () => lines.filter((line) => line.drain === signal).length,
      (seen) => seen === count,
    );
  return { child, lines, exited, drained };
}

describe('shutdown signals', () => {
  it('SIGINT - the first drains and keeps running; the second exits 130', async () => {
    const { child, lines, exited, drained } = await start();
    child.kill('SIGINT');
    await drained('SIGINT');
    expect(lines).toContainEqual({
      level: 'info',
      msg: 'draining',
      signal: 'SIGINT',
      drainMs: 30_000,
    });
    expect(child.exitCode).toBeNull();
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 130, signal: null });
    expect(lines.at(-1)).toMatchObject({ level: 'warn', signal: 'SIGINT' });
  });

  it('SIGTERM - each asks for the drain again and never exits at once; a SIGINT after it does', async () => {
    const { child, exited, drained } = await start();
    // One at a time: the kernel merges a signal sent while the same one is still pending.
    child.kill('SIGTERM');
    await drained('SIGTERM');
    child.kill('SIGTERM');
    await drained('SIGTERM', 2);
    expect(child.exitCode).toBeNull();
    child.kill('SIGINT');
    expect((await exited).code).toBe(130);
  });
});
