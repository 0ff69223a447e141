/**
 * The chaos run's RabbitMQ: one broker of its own (started by @monomyth/testing's launcher, so it can be SIGKILLed and
 * restarted on the same port and data), with one virtual host per scenario. A scenario in its own vhost starts with no
 * queues, whatever the scenarios before it left behind (retry queues, fail queues, queues of another type), and no
 * broker has to be booted between scenarios.
 *
 * The vhosts come from a definitions file the broker loads at boot (`load_definitions`), which then also has to
 * define the user: guest, with its usual password, allowed from loopback only as always.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RabbitMqServer } from '@monomyth/testing';

export class ChaosBroker {
  readonly server: RabbitMqServer;
  readonly #definitionsDir: string;

  private constructor(server: RabbitMqServer, definitionsDir: string) {
    this.server = server;
    this.#definitionsDir = definitionsDir;
  }

  static async start(
    vhosts: readonly string[],
    onLog: (line: string) => void,
  ): Promise<ChaosBroker> {
    const dir = mkdtempSync(join(tmpdir(), 'monomyth-chaos-'));
    const file = join(dir, 'definitions.json');
    writeFileSync(file, JSON.stringify(definitions(['/', ...vhosts])));
    try {
      const server = await RabbitMqServer.start({ config: { load_definitions: file }, onLog });
      return new ChaosBroker(server, dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The AMQP URL of one scenario's vhost. */
  url(vhost: string): string {
    return `${this.server.url}/${encodeURIComponent(vhost)}`;
  }

  /**
   * Writes the broker's Raft directory (which quorum queue lives under which data directory) to disk now. RabbitMQ
   * 3.10 keeps it in a DETS table saved only after 500 ms without access, so under load a queue declared shortly
   * before a SIGKILL can come back as a new, empty Raft member that never elects a leader (docs/rabbitmq.md, "A
   * quorum queue without a leader after a crash"). A broker-kill scenario measures Monomyth's recovery, not that
   * window, so it flushes the directory before it kills.
   */
  async flushRaftDirectory(): Promise<void> {
    await this.server.rabbitmqctl(['eval', 'ok = dets:sync(ra_directory_reverse).']);
  }

  /**
   * The quorum queues of `vhost` whose Raft member is not the leader. On a one-node broker every member leads once
   * it has recovered, so a name that stays in this list is a queue the broker left without a leader.
   */
  async quorumQueuesWithoutLeader(vhost: string): Promise<string[]> {
    const prefix = `${vhost}_`;
    const printed = await this.server.rabbitmqctl([
      'eval',
      '[atom_to_binary(N) || {N, S} <- ets:tab2list(ra_state), S =/= leader].',
    ]);
    return [...printed.matchAll(/<<"([^"]*)">>/g)]
      .map((match) => match[1] ?? '')
      .filter((name) => name.startsWith(prefix))
      .map((name) => name.slice(prefix.length));
  }

  async stop(): Promise<void> {
    await this.server.stop();
    rmSync(this.#definitionsDir, { recursive: true, force: true });
  }
}

/** RabbitMQ's definitions format: guest (salted SHA-256, as RabbitMQ hashes it) with every permission in each vhost. */
function definitions(vhosts: readonly string[]): object {
  const salt = randomBytes(4);
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from('guest')]))
    .digest();
  return {
    users: [
      {
        name: 'guest',
        password_hash: Buffer.concat([salt, digest]).toString('base64'),
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: ['administrator'],
      },
    ],
    vhosts: vhosts.map((name) => ({ name })),
    permissions: vhosts.map((vhost) => ({
      user: 'guest',
      vhost,
      configure: '.*',
      write: '.*',
      read: '.*',
    })),
  };
}
