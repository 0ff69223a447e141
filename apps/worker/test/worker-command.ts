/**
 * The built monomyth-worker as the command tests run it: a real process with its output piped, killed after each test
 * of the file that asked for it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const WORKER_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
export const FOUR_STAGE_SYSTEM = fileURLToPath(
  new URL('../../../examples/four-stage/dist/system.js', import.meta.url),
);

export type WorkerProcess = ChildProcessByStdio<null, Readable, Readable>;

/**
 * Registers the clean-up in the calling test file, and returns how to start `monomyth-worker ...args` with `env` over
 * this process's environment.
 */
export function useWorkerCommand(): (
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
) => WorkerProcess {
  const children: WorkerProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });
  return (args, env = {}) => {
    if (!existsSync(WORKER_MAIN))
      throw new Error(`${WORKER_MAIN} is missing: build the apps first (pnpm build)`);
    const child = spawn(process.execPath, [WORKER_MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    children.push(child);
    return child;
  };
}
