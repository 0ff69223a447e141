/**
 * A RabbitMQ node of its own for integration tests: its own node name, ports, data and log directories, so it never
 * touches (or collides with) a broker already running on the machine. Started as a child process in its own process
 * group, waited for until it accepts AMQP connections, and stopped with everything it spawned.
 *
 * What it needs: RabbitMQ's server scripts (Debian's `rabbitmq-server` package puts them in /usr/lib/rabbitmq/bin).
 * When they are missing, `start()` fails at once with a RabbitMqNotInstalledError that says how to install RabbitMQ or
 * how to point the tests at a running broker instead.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { connect } from 'amqplib';
import { freePort } from './free-port.js';
import { RabbitMqNotInstalledError, RabbitMqStartError } from './errors.js';

export interface RabbitMqServerOptions {
  /** AMQP port. @default a free port */
  port?: number;
  /** How long to wait for the broker to accept connections. @default 60_000 */
  startTimeoutMs?: number;
  /** Path to RabbitMQ's `rabbitmq-server` script. @default found in /usr/lib/rabbitmq/bin, then on PATH */
  serverPath?: string;
  /** Extra `rabbitmq.conf` settings, e.g. `{ consumer_timeout: '60000' }`. */
  config?: Readonly<Record<string, string>>;
  /** Receives progress lines (started, stopped); the launcher writes nothing to the console itself. */
  onLog?: (line: string) => void;
  /** The Erlang node name is `<nodeNamePrefix>-<port>@localhost`. @default 'monomyth-test' */
  nodeNamePrefix?: string;
  /**
   * The Erlang cookie: nodes that share one can form a cluster (and `rabbitmqctl` needs it to reach the node).
   * @default a random one Erlang writes on first boot
   */
  erlangCookie?: string;
}

/** How many lines of the broker's own output a start error quotes. */
const OUTPUT_TAIL_LINES = 30;
const STOP_GRACE_MS = 15_000;
const POLL_INTERVAL_MS = 200;

/** Where RabbitMQ's scripts live when installed from Debian's package (the /usr/sbin ones only re-run them as the rabbitmq user). */
const DEBIAN_SCRIPTS = '/usr/lib/rabbitmq/bin';

export function findRabbitMqServer(): string | undefined {
  const candidates = [join(DEBIAN_SCRIPTS, 'rabbitmq-server')];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir) candidates.push(join(dir, 'rabbitmq-server'));
  }
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export class RabbitMqServer {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** The Erlang node name, for `rabbitmqctl -n` and `join_cluster`. */
  readonly nodeName: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #output: string[] = [];
  #removeExitHook: (() => void) | undefined;
  readonly #serverPath: string;
  readonly #distPort: number;
  readonly #options: RabbitMqServerOptions;

  private constructor(
    serverPath: string,
    port: number,
    distPort: number,
    options: RabbitMqServerOptions,
  ) {
    this.#serverPath = serverPath;
    this.port = port;
    this.#distPort = distPort;
    this.#options = options;
    this.url = `amqp://guest:guest@127.0.0.1:${port}`;
    this.nodeName = `${options.nodeNamePrefix ?? 'monomyth-test'}-${port}@localhost`;
    this.dataDir = mkdtempSync(join(tmpdir(), 'monomyth-rabbitmq-'));
    if (options.erlangCookie !== undefined) {
      // Erlang refuses a cookie file that others can read.
      writeFileSync(join(this.dataDir, '.erlang.cookie'), options.erlangCookie, { mode: 0o400 });
    }
    const settings = {
      'listeners.tcp.default': `127.0.0.1:${port}`,
      'loopback_users.guest': 'true',
      ...options.config,
    };
    writeFileSync(
      join(this.dataDir, 'rabbitmq.conf'),
      Object.entries(settings)
        .map(([key, value]) => `${key} = ${value}\n`)
        .join(''),
    );
    writeFileSync(join(this.dataDir, 'enabled_plugins'), '[].\n');
  }

  /** Starts a broker and resolves once it accepts AMQP connections. */
  static async start(options: RabbitMqServerOptions = {}): Promise<RabbitMqServer> {
    const serverPath = options.serverPath ?? findRabbitMqServer();
    if (!serverPath) throw new RabbitMqNotInstalledError();
    const port = options.port ?? (await freePort());
    const server = new RabbitMqServer(serverPath, port, await freePort(), options);
    try {
      await server.#boot();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Whether the broker process is running (it may still be booting). */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Stops the broker (its whole process group) and keeps its data, so `restart()` brings back durable queues. */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    this.#removeExitHook?.();
    killGroup(pid, signal);
    const forced = setTimeout(() => killGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(forced);
    this.#child = undefined;
  }

  /**
   * Runs `rabbitmqctl -n <node> ...args` against this broker (with its cookie) and resolves with what it printed;
   * rejects with its output when it exits non-zero or takes longer than `timeoutMs`.
   */
  rabbitmqctl(args: readonly string[], timeoutMs = 60_000): Promise<string> {
    const ctl = join(dirname(this.#serverPath), 'rabbitmqctl');
    return new Promise((resolve, reject) => {
      execFile(
        ctl,
        ['-n', this.nodeName, ...args],
        { env: { ...process.env, HOME: this.dataDir }, timeout: timeoutMs },
        (error, stdout, stderr) => {
          if (error) {
            reject(
              new Error(
                `rabbitmqctl ${args.join(' ')} on ${this.nodeName}: ${stderr || error.message}`,
              ),
            );
          } else resolve(stdout);
        },
      );
    });
  }

  /** Kills the broker abruptly (SIGKILL), as a crash would. */
  kill(): Promise<void> {
    return this.halt('SIGKILL');
  }

  /** Starts the broker again on the same port and data after `halt()` or `kill()`. */
  async restart(): Promise<void> {
    await this.halt();
    await this.#boot();
  }

  /** Stops the broker and removes its data. Safe to call more than once. */
  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #boot(): Promise<void> {
    const started = Date.now();
    const env = {
      ...process.env,
      // The Erlang cookie is written to $HOME: keep it with the broker's data.
      HOME: this.dataDir,
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.#distPort),
      RABBITMQ_MNESIA_BASE: join(this.dataDir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(this.dataDir, 'log'),
      RABBITMQ_PID_FILE: join(this.dataDir, 'rabbitmq.pid'),
      RABBITMQ_CONFIG_FILE: join(this.dataDir, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dataDir, 'enabled_plugins'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(this.dataDir, 'advanced.config'),
    };
    this.#output = [];
    const child = spawn(this.#serverPath, [], {
      env,
      cwd: this.dataDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const remember = (chunk: Buffer): void => {
      this.#output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.#output.length > OUTPUT_TAIL_LINES)
        this.#output.splice(0, this.#output.length - OUTPUT_TAIL_LINES);
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    let exitCode: string | undefined;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitCode = signal ?? String(code);
        resolve();
      });
      child.once('error', (error) => {
        exitCode = error.message;
        resolve();
      });
    });
    this.#removeExitHook = onProcessExit(() => child.pid && killGroup(child.pid, 'SIGKILL'));

    const deadline = started + (this.#options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (exitCode !== undefined) {
        throw new RabbitMqStartError(`RabbitMQ exited (${exitCode}) while starting`, this.#output);
      }
      if (await acceptsConnections(this.url)) break;
      if (Date.now() > deadline) {
        throw new RabbitMqStartError(
          `RabbitMQ did not accept connections on port ${this.port} in time`,
          this.#output,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    this.#options.onLog?.(
      `RabbitMQ started on ${this.url} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}

async function acceptsConnections(url: string): Promise<boolean> {
  try {
    const connection = await connect(url, { timeout: 2_000 });
    connection.on('error', () => {});
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Makes sure a broker never outlives the process that started it, even when that process exits abruptly. */
function onProcessExit(hook: () => void): () => void {
  process.once('exit', hook);
  return () => process.off('exit', hook);
}
