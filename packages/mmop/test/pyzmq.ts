/**
 * Real Python with pyzmq, for the tests that check our CURVE certificates against another implementation (here and
 * in apps/control's keygen interop test): where to find it, whether it is there, and a runner for Python snippets.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Debian's python3-zmq installs for the system Python, which a pyenv or venv python3 on PATH may not see. */
export const PYTHON = '/usr/bin/python3';

/**
 * Why pyzmq cannot be used here, or undefined when it can. Says so on the console (naming `tests`), so a skipped run
 * shows its reason; scripts/lib/setup.sh installs python3-zmq where it can.
 */
export function pyzmqMissing(tests: string): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import zmq.auth'], { encoding: 'utf8' });
  const missing =
    probe.error !== undefined
      ? `${PYTHON} cannot run: ${probe.error.message}`
      : probe.status === 0
        ? undefined
        : `python3-zmq is not installed (${probe.stderr.trim()})`;
  if (missing !== undefined) console.warn(`${tests} skipped: ${missing}`);
  return missing;
}

/** Runs a Python snippet with `args` to its end (killed past `timeoutMs`); its stdout parsed as JSON. */
export function python<T>(code: string, args: readonly string[], timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', code, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout) as T);
      else reject(new Error(`python exited ${String(code)}: ${stderr}`));
    });
  });
}
