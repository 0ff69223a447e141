/**
 * A four-stage cluster as an operator runs it: one monomyth-master process, workers as monomyth-worker processes (each
 * under a supervisor), nodes started through @monomyth/control, and the cluster's picture read back the same way.
 */
import { execFileSync } from 'node:child_process';
import { ControlClient } from '@monomyth/control';
import type { RecipeInfo, WorkerInfo } from '@monomyth/mmop';
import { freePort } from '@monomyth/testing';
import { AppProcess, Supervisor, appPath } from './processes.js';

export type QueueType = 'classic' | 'quorum';

export interface ClusterOptions {
  readonly amqpUrl: string;
  readonly queueType: QueueType;
  /** The system module the workers load. */
  readonly system: string;
  readonly types: readonly string[];
  readonly workers: number;
  readonly perType: number;
  readonly heartbeatMs: number;
  readonly heartbeatMisses: number;
  /** Extra environment for the workers (the chaos system reads its stall from it). */
  readonly workerEnv?: NodeJS.ProcessEnv;
}

/** The cluster at the end of a scenario. */
export interface ClusterState {
  /** Node types with no node running. */
  readonly stoppedTypes: string[];
  /** Every type back at the count started, desired unchanged: no surplus, no shortfall. */
  readonly converged: boolean;
  readonly recipes: readonly Pick<RecipeInfo, 'type' | 'desired' | 'running'>[];
  readonly workers: readonly Pick<WorkerInfo, 'workerId' | 'state'>[];
  /** Node crashes and nodes that gave up, from every worker's log (every incarnation). */
  readonly crashes: number;
  readonly gaveUp: number;
  /** Worker exits the chaos run did not cause. */
  readonly workerExits: number;
  /** Whether the master answered at the end. */
  readonly masterAnswered: boolean;
}

/** What the master showed while a scenario ran, read every half second. */
export interface ClusterWatch {
  /** The most nodes of any one type the master counted running at once (more than started: nodes placed twice). */
  readonly peakRunning: number;
  /** Every worker state the master reported (`active`, `stalled`, ...). */
  readonly statesSeen: readonly string[];
  /** How many times a registered worker vanished from the master's list (declared lost, or left). */
  readonly workerLosses: number;
}

const START_TIMEOUT_MS = 30_000;
const WATCH_MS = 500;
const POLL_MS = 250;

export class ChaosCluster {
  readonly endpoint: string;
  readonly control: ControlClient;
  readonly workers: readonly Supervisor[];
  /** The workers' names (`--name`), in the order of `workers`. */
  readonly workerIds: readonly string[];
  readonly #options: ClusterOptions;
  #master: AppProcess;

  private constructor(endpoint: string, options: ClusterOptions) {
    this.endpoint = endpoint;
    this.#options = options;
    // Before any process starts: reading the worker's flags may throw, and nothing may be left running then.
    const queueType = queueTypeFlags(options.queueType);
    this.#master = this.#startMaster();
    this.control = new ControlClient({ master: endpoint, timeoutMs: 2_000 });
    this.workerIds = Array.from(
      { length: options.workers },
      (_, index) => `chaos-${String.fromCharCode(97 + index)}`,
    );
    this.workers = this.workerIds.map(
      (name) =>
        new Supervisor(
          (counts) =>
            new AppProcess(
              'worker',
              [
                '--master',
                endpoint,
                '--system',
                options.system,
                '--name',
                name,
                '--amqp',
                options.amqpUrl,
                '--drain-ms',
                '5000',
                ...queueType,
              ],
              options.workerEnv ?? {},
              counts,
            ),
        ),
    );
  }

  /** Starts the master and the workers, waits for every worker, and starts `perType` nodes of each type. */
  static async start(options: ClusterOptions): Promise<ChaosCluster> {
    const cluster = new ChaosCluster(`tcp://127.0.0.1:${await freePort()}`, options);
    try {
      await cluster.waitForWorkers(options.workers, 30_000);
      for (const type of options.types) {
        const result = await cluster.control.startNode(type, options.perType, {
          timeoutMs: START_TIMEOUT_MS,
        });
        if (result.started.length !== options.perType)
          throw new Error(
            `started ${result.started.length} of ${options.perType} ${type} nodes: ${JSON.stringify(result.failures)}`,
          );
      }
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  get master(): AppProcess {
    return this.#master;
  }

  /** SIGKILLs the master; `startMaster()` brings it back on the same endpoint. */
  async killMaster(): Promise<void> {
    await this.#master.kill();
  }

  startMaster(): void {
    this.#master = this.#startMaster();
  }

  async waitForWorkers(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const workers = await this.control.workers().catch(() => []);
      if (workers.length >= count) return;
      if (Date.now() > deadline)
        throw new Error(`${workers.length} of ${count} workers registered in ${timeoutMs} ms`);
      await sleep(POLL_MS);
    }
  }

  /** Reads the master's picture every half second until `stop()`, which says what was seen. */
  watch(): { stop: () => Promise<ClusterWatch> } {
    let peakRunning = 0;
    const statesSeen = new Set<string>();
    let workerLosses = 0;
    let previous = new Set<string>();
    let epoch: string | undefined;
    let watching = true;
    const loop = (async () => {
      while (watching) {
        try {
          const [{ masterEpoch }, recipes, workers] = await Promise.all([
            this.control.ping(),
            this.control.recipes(),
            this.control.workers(),
          ]);
          for (const recipe of recipes) peakRunning = Math.max(peakRunning, recipe.running);
          for (const worker of workers) statesSeen.add(worker.state);
          const ids = new Set(workers.map((worker) => worker.workerId));
          // A restarted master starts with no workers: that is not a loss, so compare within one master's lifetime.
          if (masterEpoch === epoch) for (const id of previous) if (!ids.has(id)) workerLosses += 1;
          previous = ids;
          epoch = masterEpoch;
        } catch {
          // The master is away (a scenario killed it): nothing to read this time.
        }
        await sleep(WATCH_MS);
      }
    })();
    return {
      stop: async () => {
        watching = false;
        await loop;
        return { peakRunning, statesSeen: [...statesSeen].sort(), workerLosses };
      },
    };
  }

  /**
   * Waits up to `timeoutMs` for the cluster to converge (every type running `perType`, desired unchanged), then says
   * how it stands, converged or not.
   */
  async settle(timeoutMs: number): Promise<ClusterState> {
    const deadline = Date.now() + timeoutMs;
    let recipes: RecipeInfo[] = [];
    let workers: WorkerInfo[] = [];
    let answered = false;
    for (;;) {
      try {
        [recipes, workers] = await Promise.all([this.control.recipes(), this.control.workers()]);
        answered = true;
      } catch {
        answered = false;
      }
      if (answered && this.#converged(recipes)) break;
      if (Date.now() > deadline) break;
      await sleep(POLL_MS);
    }
    const running = new Map(recipes.map((recipe) => [recipe.type, recipe.running]));
    return {
      stoppedTypes: this.#options.types.filter((type) => (running.get(type) ?? 0) === 0),
      converged: answered && this.#converged(recipes),
      recipes: recipes.map(({ type, desired, running }) => ({ type, desired, running })),
      workers: workers.map(({ workerId, state }) => ({ workerId, state })),
      crashes: sum(this.workers.map((worker) => worker.counts.crashes)),
      gaveUp: sum(this.workers.map((worker) => worker.counts.gaveUp)),
      workerExits: sum(this.workers.map((worker) => worker.ownExits)),
      masterAnswered: answered,
    };
  }

  /** What the processes last wrote, for a report when a scenario fails to run. */
  logs(): string {
    return [
      `master:\n${this.#master.tail()}`,
      ...this.workers.map((worker, index) => `worker ${index}:\n${worker.current.tail()}`),
    ].join('\n');
  }

  async close(): Promise<void> {
    this.control.close();
    await Promise.all([...this.workers.map((worker) => worker.stop()), this.#master.kill()]);
  }

  #converged(recipes: readonly RecipeInfo[]): boolean {
    const byType = new Map(recipes.map((recipe) => [recipe.type, recipe]));
    return this.#options.types.every((type) => {
      const recipe = byType.get(type);
      return recipe?.running === this.#options.perType && recipe.desired === this.#options.perType;
    });
  }

  #startMaster(): AppProcess {
    return new AppProcess(
      'master',
      [
        '--bind',
        this.endpoint,
        '--heartbeat-ms',
        String(this.#options.heartbeatMs),
        '--heartbeat-misses',
        String(this.#options.heartbeatMisses),
      ],
      {},
    );
  }
}

let workerHelp: string | undefined;

/**
 * The worker's flag for a queue type: `--queue-type classic|quorum` where the worker has it, else the older
 * `--quorum-queues` (whose default was classic). Read from the worker's own `--help`, once.
 */
export function queueTypeFlags(type: QueueType): string[] {
  workerHelp ??= execFileSync(process.execPath, [appPath('worker'), '--help'], {
    encoding: 'utf8',
  });
  if (workerHelp.includes('--queue-type')) return ['--queue-type', type];
  return type === 'quorum' ? ['--quorum-queues'] : [];
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
