/**
 * A RabbitMQ cluster on this one machine for tests that need one: three nodes (by default), each a `RabbitMqServer`
 * with its own node name, ports, data and log directories, all sharing one Erlang cookie, clustered the way an
 * operator does it (`rabbitmqctl stop_app`, `join_cluster <first node>`, `start_app` on every node but the first).
 * Each node runs in its own process group, so `kill(i)` (SIGKILL) takes one node down as a crash would, and
 * `restart(i)` brings it back on the same data, where it rejoins the cluster by itself.
 *
 *   node 0  <-- join_cluster --  node 1
 *     ^------- join_cluster --  node 2          (Erlang distribution over loopback, one epmd)
 *
 * Queues declared as quorum queues on such a cluster get a member on every node (their initial group size is the
 * cluster size when they are declared), so they survive the loss of any one node.
 */
import { randomBytes } from 'node:crypto';
import { RabbitMqServer } from './rabbitmq-server.js';
import type { RabbitMqServerOptions } from './rabbitmq-server.js';

/**
 * `serverPath`, `config` (for every node) and `onLog` (also told when the cluster formed, a node was killed or
 * restarted) as for one RabbitMqServer; `rabbitmqctl` is taken from the server script's folder.
 */
export interface RabbitMqClusterOptions extends Pick<
  RabbitMqServerOptions,
  'serverPath' | 'config' | 'onLog'
> {
  /** How many nodes. @default 3 */
  size?: number;
  /** How long each node may take to boot (they boot side by side). @default 90_000 */
  startTimeoutMs?: number;
}

export const DEFAULT_CLUSTER_SIZE = 3;

export class RabbitMqCluster {
  readonly #options: RabbitMqClusterOptions;

  private constructor(
    /** The nodes, in the order they joined: node 0 is the one the others joined. */
    readonly nodes: readonly RabbitMqServer[],
    options: RabbitMqClusterOptions,
  ) {
    this.#options = options;
  }

  /** Starts the nodes side by side, clusters them, and resolves once every node runs in the cluster. */
  static async start(options: RabbitMqClusterOptions = {}): Promise<RabbitMqCluster> {
    const size = options.size ?? DEFAULT_CLUSTER_SIZE;
    if (!Number.isSafeInteger(size) || size < 1)
      throw new RangeError(`a cluster has at least one node, got ${String(size)}`);
    const started = Date.now();
    const cookie = randomBytes(16).toString('hex').toUpperCase();
    const booting = Array.from({ length: size }, (_, i) => {
      const { serverPath, config, onLog } = options;
      const nodeOptions: RabbitMqServerOptions = {
        serverPath,
        config,
        onLog,
        startTimeoutMs: options.startTimeoutMs ?? 90_000,
        erlangCookie: cookie,
        nodeNamePrefix: `monomyth-cluster${i}`,
      };
      return RabbitMqServer.start(nodeOptions);
    });
    const results = await Promise.allSettled(booting);
    const nodes = results.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    );
    const cluster = new RabbitMqCluster(nodes, options);
    try {
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      const [first, ...others] = nodes as [RabbitMqServer, ...RabbitMqServer[]];
      // One at a time: join_cluster talks to the first node, which serialises membership changes anyway.
      for (const node of others) {
        await node.rabbitmqctl(['stop_app']);
        await node.rabbitmqctl(['join_cluster', first.nodeName]);
        await node.rabbitmqctl(['start_app']);
      }
      const running = await cluster.runningNodes();
      if (running.length !== size)
        throw new Error(`the cluster formed with ${running.length} of ${size} nodes running`);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    options.onLog?.(
      `RabbitMQ cluster of ${size} nodes (${nodes.map((node) => node.port).join(', ')}) formed in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return cluster;
  }

  /** The AMQP URLs of the nodes, in order. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  node(i: number): RabbitMqServer {
    const node = this.nodes[i];
    if (node === undefined)
      throw new RangeError(`no node ${i} in a cluster of ${this.nodes.length}`);
    return node;
  }

  /** The nodes running in the cluster, as the first node that answers sees it (Erlang node names). */
  async runningNodes(): Promise<string[]> {
    let lastError: unknown;
    for (const node of this.nodes) {
      if (!node.running) continue;
      try {
        const status = JSON.parse(
          await node.rabbitmqctl(['cluster_status', '--formatter', 'json']),
        ) as { running_nodes?: string[] };
        return [...(status.running_nodes ?? [])].sort();
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error('no node of the cluster answers', { cause: lastError });
  }

  /** Kills node `i` abruptly (SIGKILL to its process group), as a crash would; its data stays. */
  async kill(i: number): Promise<void> {
    await this.node(i).kill();
    this.#options.onLog?.(`RabbitMQ cluster node ${i} (${this.node(i).nodeName}) killed`);
  }

  /** Starts node `i` again on its data after `kill(i)`; it rejoins the cluster by itself. */
  async restart(i: number): Promise<void> {
    const started = Date.now();
    await this.node(i).restart();
    this.#options.onLog?.(
      `RabbitMQ cluster node ${i} back in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  /** Stops every node and removes their data. Safe to call more than once. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
