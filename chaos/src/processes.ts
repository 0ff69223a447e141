/**
 * The apps as an operator runs them: built, as child processes (`node apps/<app>/dist/main.js`), with their logs read
 * for the events the chaos run counts (a node that crashed, a node that gave up). A worker may run under a supervisor:
 * a restart loop like systemd's `Restart=always`, which starts it again each time it dies.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const APPS = fileURLToPath(new URL('../../apps/', import.meta.url));
/** How many lines of an app's output are kept for a report when something goes wrong. */
const TAIL_LINES = 40;

export type App = 'master' | 'worker' | 'control';

/** Every app process still running: none outlives the chaos run, however it ends. */
const LIVE = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of LIVE) child.kill('SIGKILL');
});

export function appPath(app: App): string {
  const path = `${APPS}${app}/dist/main.js`;
  if (!existsSync(path)) throw new Error(`${path} is missing: build first (pnpm build)`);
  return path;
}

/** Log lines the chaos run counts, by what the worker writes (pino's `msg`). */
export interface LogCounts {
  crashes: number;
  gaveUp: number;
}

const COUNTED: readonly (readonly [keyof LogCounts, string])[] = [
  ['crashes', 'node crashed; restarting it'],
  ['gaveUp', 'node gave up'],
];

/** One run of an app. `counts` is shared, so every incarnation under a supervisor adds to the same figures. */
export class AppProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #tail: string[] = [];
  #partial = '';

  constructor(
    app: App,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    readonly counts: LogCounts = { crashes: 0, gaveUp: 0 },
  ) {
    this.child = spawn(process.execPath, [appPath(app), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    LIVE.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        LIVE.delete(this.child);
        resolve({ code, signal });
      }),
    );
    this.child.stdout?.on('data', (chunk: Buffer) => this.#read(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.#read(chunk));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILL, resolved once the process is gone. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  tail(): string {
    return this.#tail.join('\n');
  }

  #read(chunk: Buffer): void {
    const lines = (this.#partial + chunk.toString('utf8')).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      for (const [counter, text] of COUNTED) if (line.includes(text)) this.counts[counter] += 1;
      this.#tail.push(line);
    }
    if (this.#tail.length > TAIL_LINES) this.#tail.splice(0, this.#tail.length - TAIL_LINES);
  }
}

/**
 * Keeps a process running: each time it exits, it is started again after `restartDelayMs` (systemd's RestartSec,
 * 100 ms by default there too), until `stop()`. Exits it did not cause itself (the chaos run's kills) are told apart
 * from the ones it chose (a worker that gives up and exits 1), which the run reports.
 */
export class Supervisor {
  readonly counts: LogCounts = { crashes: 0, gaveUp: 0 };
  /** Exits not caused by a kill of ours: the process ended on its own. */
  ownExits = 0;
  restarts = 0;
  #current: AppProcess;
  #stopped = false;
  #expectingKill = false;

  constructor(
    readonly start: (counts: LogCounts) => AppProcess,
    readonly restartDelayMs = 100,
  ) {
    this.#current = this.#launch();
  }

  get current(): AppProcess {
    return this.#current;
  }

  /** SIGKILLs the current process (the supervisor starts it again); resolves once it is gone. */
  async kill(): Promise<void> {
    this.#expectingKill = true;
    await this.#current.kill();
  }

  /** Waits until the supervisor has started the process again after the last kill. */
  async restarted(): Promise<void> {
    while (!this.#current.running || this.#expectingKill)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Stops restarting and kills the process. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#current.kill();
  }

  #launch(): AppProcess {
    const process = this.start(this.counts);
    void process.exited.then(({ signal }) => {
      if (this.#stopped) return;
      if (this.#expectingKill && signal === 'SIGKILL') this.#expectingKill = false;
      else this.ownExits += 1;
      setTimeout(() => {
        if (this.#stopped) return;
        this.restarts += 1;
        this.#current = this.#launch();
      }, this.restartDelayMs);
    });
    return process;
  }
}
