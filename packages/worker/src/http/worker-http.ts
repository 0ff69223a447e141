/**
 * The worker's operator endpoints over the platform's `node:http`: `GET /live` (200 while the process runs),
 * `GET /ready` (200 while the probe says ready, else 503 with `{ "ready": false, "reason": "..." }`) and
 * `GET /metrics` (Prometheus text). HEAD works like GET without a body; another method is 405, another path 404.
 * With a token, every request must carry `Authorization: Bearer TOKEN` (401 otherwise): the port is an operator port.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { ReadinessProbe } from './readiness.js';

/** Where the endpoints listen (port 0 takes a free one). */
export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

export interface WorkerHttpOptions extends HttpAddress {
  readonly ready: ReadinessProbe;
  readonly metrics: { metrics(): Promise<string>; readonly contentType: string };
  /** When set, every request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
}

export interface WorkerHttpServer {
  /** The address bound (the port chosen, for port 0). */
  readonly address: HttpAddress;
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts listening; resolves once bound, rejects when the address cannot be bound (in use, not local). */
export async function startWorkerHttp(options: WorkerHttpOptions): Promise<WorkerHttpServer> {
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);
  const server = createServer((request, response) => {
    handle(request, response, options, expected).catch((error: unknown) => {
      send(response, 500, 'text/plain; charset=utf-8', `${String(error)}\n`);
    });
  });
  // A scrape holds no connection open between requests long enough to delay a stop.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    address: { host: address, port },
    url: `http://${host}:${port}`,
    close: () => closeServer(server),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: WorkerHttpOptions,
  expected: Buffer | undefined,
): Promise<void> {
  if (expected !== undefined && !authorized(request.headers.authorization, expected)) {
    response.setHeader('WWW-Authenticate', 'Bearer');
    return send(response, 401, 'application/json', '{"error":"a bearer token is required"}\n');
  }
  const path = (request.url ?? '/').split('?', 1)[0];
  if (path !== '/live' && path !== '/ready' && path !== '/metrics')
    return send(response, 404, 'application/json', '{"error":"not found"}\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'application/json', '{"error":"method not allowed"}\n');
  }
  if (path === '/live') return send(response, 200, 'application/json', '{"live":true}\n');
  if (path === '/ready') {
    const reason = options.ready();
    return reason === undefined
      ? send(response, 200, 'application/json', '{"ready":true}\n')
      : send(response, 503, 'application/json', `${JSON.stringify({ ready: false, reason })}\n`);
  }
  send(response, 200, options.metrics.contentType, await options.metrics.metrics());
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
