import { ControlClient } from '@monomyth/control';
export { eventually } from '@monomyth/testing';
import { Master } from '../src/index.js';
import type { MasterOptions } from '../src/index.js';
import { FakeWorker } from './fake-worker.js';
import type { FakeWorkerOptions } from './fake-worker.js';

/** A master on a free loopback port, fast heartbeats, and the workers and clients a test makes, closed together. */
export class Harness {
  readonly workers: FakeWorker[] = [];
  readonly clients: ControlClient[] = [];
  master!: Master;

  static async start(options: MasterOptions = {}): Promise<Harness> {
    const harness = new Harness();
    harness.master = await Master.create({
      bind: 'tcp://127.0.0.1:*',
      // Fast enough for quick tests, slack enough that a busy test process is not taken for a lost worker.
      heartbeatIntervalMs: 100,
      heartbeatMisses: 5,
      startTimeoutMs: 2000,
      ...options,
    });
    return harness;
  }

  /** A fake worker for this master, closed with the harness; not registered yet. */
  unregistered(options: FakeWorkerOptions): FakeWorker {
    const worker = new FakeWorker(this.master.endpoint, options);
    this.workers.push(worker);
    return worker;
  }

  async worker(options: FakeWorkerOptions): Promise<FakeWorker> {
    const worker = this.unregistered(options);
    await worker.register();
    return worker;
  }

  client(timeoutMs = 5000): ControlClient {
    const client = new ControlClient({ master: this.master.endpoint, timeoutMs });
    this.clients.push(client);
    return client;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.close();
    for (const worker of this.workers) worker.close();
    await this.master.close();
  }
}

/**
 * Creates a master on an endpoint a closed master just released: ZeroMQ frees the port on its I/O thread shortly after
 * close(), so the first bind may find it still in use.
 */
export async function rebind(options: MasterOptions & { bind: string }): Promise<Master> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await Master.create(options);
    } catch (error) {
      if (attempt >= 50 || !String(error).includes('in use')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
