/** A TCP proxy in front of the broker, so tests can cut connections (and refuse new ones) without touching the broker. */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  /** The broker's side of each connection, to hold back what it sends. */
  private readonly upstreams = new Map<Socket, Socket>();
  private server: Server | undefined;

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  /** Listens on a free port and forwards to `targetUrl`'s host and port. */
  static async start(targetUrl: string): Promise<TcpProxy> {
    const url = new URL(targetUrl);
    const target = { host: url.hostname, port: Number(url.port || 5672) };
    const proxy = new TcpProxy(target, 0);
    const port = await proxy.listen(0);
    return Object.assign(proxy, { port });
  }

  /** How many client connections go through the proxy now. */
  get connections(): number {
    return this.sockets.size / 2;
  }

  /** `targetUrl` with the proxy's port in place of the broker's. */
  urlFor(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.port = String(this.port);
    return url.toString();
  }

  /** Stops passing on what the broker sends (the client's frames still go through): a broker that stopped answering. */
  holdReplies(): void {
    for (const [upstream, client] of this.upstreams) upstream.unpipe(client);
  }

  /** Cuts every connection through the proxy; with `refuse`, stops listening so new ones fail too. */
  async cut({ refuse }: { refuse: boolean }): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.upstreams.clear();
    if (refuse) await this.close();
  }

  /** Listens again (after a `cut({ refuse: true })`) on the same port. */
  async resume(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.upstreams.clear();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  }

  private listen(port: number): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(client);
      this.sockets.add(upstream);
      this.upstreams.set(upstream, client);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
        this.upstreams.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }
}
