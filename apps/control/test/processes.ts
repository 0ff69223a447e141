/**
 * Runs the apps as the user does: built, as child processes. Each started process is tracked and killed after the
 * test, so a failing test never leaves a master or a worker behind.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventually as waitUntil, freePort } from '@monomyth/testing';

const APPS = fileURLToPath(new URL('../../', import.meta.url));

export function bin(app: 'master' | 'worker' | 'control'): string {
  const path = `${APPS}${app}/dist/main.js`;
  if (!existsSync(path)) throw new Error(`${path} is missing: build the apps first (pnpm build)`);
  return path;
}

export const FOUR_STAGE_SYSTEM = fileURLToPath(
  new URL('../../../examples/four-stage/dist/system.js', import.meta.url),
);

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a command to its end (killed past `timeoutMs`, which then fails the test). */
export function run(
  app: 'master' | 'worker' | 'control',
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin(app), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${app} ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `monomyth ... --json`, parsed; fails with the CLI's stderr when it exits non-zero. */
export async function control<T>(master: string, args: readonly string[]): Promise<T> {
  const result = await run('control', ['--master', master, '--json', ...args]);
  if (result.code !== 0)
    throw new Error(`monomyth ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export class Processes {
  readonly #children = new Set<ChildProcess>();

  /** Starts a long-running app; its output is kept for the test to read. */
  start(
    app: 'master' | 'worker',
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ): ChildProcess & { output: () => string } {
    const child = spawn(process.execPath, [bin(app), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    this.#children.add(child);
    child.on('exit', () => this.#children.delete(child));
    return Object.assign(child, { output: () => output });
  }

  /**
   * Starts a master on a free local port (`liveness` and `extra` flags as `masterArgs` makes them) and waits until it
   * answers a ping made with `pingFlags` (client keys, for a CURVE master) within `timeoutMs`.
   */
  async startMaster(
    liveness: { heartbeatMs?: number; heartbeatMisses?: number } = {},
    extra: readonly string[] = [],
    ping: { pingFlags?: readonly string[]; timeoutMs?: number } = {},
  ): Promise<{ master: string; child: ChildProcess & { output: () => string } }> {
    const master = await localEndpoint();
    const child = this.start('master', masterArgs(master, liveness, extra));
    await answering(master, ping.pingFlags, ping.timeoutMs);
    return { master, child };
  }

  killAll(): void {
    for (const child of this.#children) child.kill('SIGKILL');
    this.#children.clear();
  }
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Polls less often than in-process tests: each read may start a CLI process. */
export function eventually<T>(
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  return waitUntil(read, accept, { timeoutMs, intervalMs: 100 });
}

/** A ZeroMQ endpoint on a free local port, for a master to bind. */
async function localEndpoint(): Promise<string> {
  return `tcp://127.0.0.1:${await freePort()}`;
}

/** The flags of a master binding `bind` with this liveness (heartbeat interval and misses), then `extra`. */
export function masterArgs(
  bind: string,
  liveness: { heartbeatMs?: number; heartbeatMisses?: number },
  extra: readonly string[] = [],
): string[] {
  const flag = (name: string, value: number | undefined): string[] =>
    value === undefined ? [] : [name, String(value)];
  return [
    '--bind',
    bind,
    ...flag('--heartbeat-ms', liveness.heartbeatMs),
    ...flag('--heartbeat-misses', liveness.heartbeatMisses),
    ...extra,
  ];
}

/** Waits until the master at `master` answers `monomyth ping` (given `flags`, such as client keys). */
async function answering(
  master: string,
  flags: readonly string[] = [],
  timeoutMs?: number,
): Promise<void> {
  await eventually(
    () => run('control', ['--master', master, ...flags, '--timeout-ms', '500', 'ping']),
    (result) => result.code === 0,
    timeoutMs,
  );
}

/** The flags of a worker of the four-stage example on the in-memory adapter, named `name`, then `extra`. */
export function memoryWorkerArgs(
  master: string,
  name: string,
  extra: readonly string[] = [],
): string[] {
  return ['--master', master, '--system', FOUR_STAGE_SYSTEM, '--memory', '--name', name, ...extra];
}
