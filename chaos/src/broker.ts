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
