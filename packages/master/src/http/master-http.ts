/**
 * The master's operator endpoints over the platform's `node:http`:
 * - `GET /live`: 200 while the process runs;
 * - `GET /ready`: 200 while the master serves (bound, running), else 503 with `{ "ready": false, "reason": "..." }`;
 * - `GET /metrics`: Prometheus text (master-metrics.ts);
 * - `GET /api/cluster`: the cluster's picture as JSON (cluster-snapshot.ts);
 * - `GET /events`: the same picture as server-sent events, one `snapshot` event about once a second;
 * - `GET /`: the dashboard, one self-contained HTML page that draws from `/events`.
 * HEAD works like GET without a body (not on /events); another method is 405, another path 404. With a token, every
 * request must carry `Authorization: Bearer TOKEN`, or `?access_token=TOKEN` (RFC 6750) for what a browser cannot add
 * a header to (the page itself and its EventSource); 401 otherwise. The port is an operator port: keep it private.
 *
 * One timer samples the rates and, while someone listens, builds one snapshot a second for all listeners.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { clusterSnapshot } from './cluster-snapshot.js';
import type { ClusterSource } from './cluster-snapshot.js';
import { DASHBOARD_PAGE } from './dashboard-page.js';
import type { HttpAddress } from './http-address.js';
import { MasterMetrics } from './master-metrics.js';
import type { MasterStats } from './master-stats.js';
import { RateWindow } from './rates.js';

/** How often rates are sampled and events sent. */
export const EVENTS_INTERVAL_MS = 1000;
/** Events a listener has not read yet, in bytes, beyond which it is disconnected. */
const MAX_UNREAD_EVENT_BYTES = 4 * 1024 * 1024;

export interface MasterHttpOptions extends HttpAddress {
  /** When set, every request needs `Authorization: Bearer <token>` (or `?access_token=<token>`). */
  readonly token?: string;
}

export interface MasterHttpSources {
  readonly cluster: ClusterSource;
  readonly stats: MasterStats;
  /** Why the master is not ready now, or undefined when it is. */
  readonly notReady: () => string | undefined;
  /** Register Node's default process metrics. @default true */
  readonly defaultMetrics?: boolean;
}

export interface MasterHttpServer {
  /** The address bound (the port chosen, for port 0). */
  readonly address: HttpAddress;
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

const ROUTES = new Set(['/', '/live', '/ready', '/metrics', '/api/cluster', '/events']);

/** Starts listening; resolves once bound, rejects when the address cannot be bound (in use, not local). */
export async function startMasterHttp(
  options: MasterHttpOptions,
  sources: MasterHttpSources,
): Promise<MasterHttpServer> {
  const expected = options.token === undefined ? undefined : Buffer.from(options.token);
  const metrics = new MasterMetrics(sources.cluster, sources.stats, {
    defaultMetrics: sources.defaultMetrics,
  });
  const rates = new RateWindow();
  const listeners = new Set<ServerResponse>();
  const snapshot = (): string =>
    JSON.stringify(clusterSnapshot(sources.cluster, sources.stats, rates, Date.now()));
  const tick = (): void => {
    rates.sample(sources.stats.totals(), Date.now());
    if (listeners.size === 0) return;
    const event = `event: snapshot\ndata: ${snapshot()}\n\n`;
    for (const listener of listeners) {
      // A listener that reads nothing (a stopped tab, a stuck proxy) is let go rather than buffered without end.
      if (listener.writableLength > MAX_UNREAD_EVENT_BYTES) {
        listeners.delete(listener);
        listener.destroy();
      } else listener.write(event);
    }
  };
  rates.sample(sources.stats.totals(), Date.now());
  const timer = setInterval(tick, EVENTS_INTERVAL_MS).unref();

  const server = createServer((request, response) => {
    try {
      route(request, response);
    } catch (error) {
      send(response, 500, 'text/plain; charset=utf-8', `${String(error)}\n`);
    }
  });
  const route = (request: IncomingMessage, response: ServerResponse): void => {
    const url = URL.parse(request.url ?? '/', 'http://localhost');
    if (url === null)
      return send(response, 400, 'application/json', '{"error":"bad request target"}\n');
    if (expected !== undefined && !authorized(request, url, expected)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return send(response, 401, 'application/json', '{"error":"a bearer token is required"}\n');
    }
    const path = url.pathname;
    if (!ROUTES.has(path))
      return send(response, 404, 'application/json', '{"error":"not found"}\n');
    const head = request.method === 'HEAD' && path !== '/events';
    if (request.method !== 'GET' && !head) {
      response.setHeader('Allow', path === '/events' ? 'GET' : 'GET, HEAD');
      return send(response, 405, 'application/json', '{"error":"method not allowed"}\n');
    }
    switch (path) {
      case '/live':
        return send(response, 200, 'application/json', '{"live":true}\n');
      case '/ready': {
        const reason = sources.notReady();
        return reason === undefined
          ? send(response, 200, 'application/json', '{"ready":true}\n')
          : send(
              response,
              503,
              'application/json',
              `${JSON.stringify({ ready: false, reason })}\n`,
            );
      }
      case '/metrics':
        metrics.metrics().then(
          (text) => send(response, 200, metrics.contentType, text),
          (error: unknown) =>
            send(response, 500, 'text/plain; charset=utf-8', `${String(error)}\n`),
        );
        return;
      case '/api/cluster':
        return send(response, 200, 'application/json', `${snapshot()}\n`);
      case '/events':
        response.writeHead(200, {
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
        });
        // The first picture at once, then one a second; a reconnecting EventSource waits 2 s.
        response.write(`retry: 2000\nevent: snapshot\ndata: ${snapshot()}\n\n`);
        listeners.add(response);
        request.on('close', () => listeners.delete(response));
        return;
      default:
        return send(response, 200, 'text/html; charset=utf-8', DASHBOARD_PAGE);
    }
  };
  // A scrape holds no connection open between requests long enough to delay a stop.
  server.keepAliveTimeout = 5_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    clearInterval(timer);
    throw error;
  }
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    address: { host: address, port },
    url: `http://${host}:${port}`,
    close: () => {
      clearInterval(timer);
      for (const listener of listeners) listener.end();
      listeners.clear();
      return closeServer(server);
    },
  };
}

function authorized(request: IncomingMessage, url: URL, expected: Buffer): boolean {
  const header = request.headers.authorization;
  const given = header?.startsWith('Bearer ')
    ? header.slice('Bearer '.length)
    : url.searchParams.get('access_token');
  if (given === null || given === undefined) return false;
  const bytes = Buffer.from(given);
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
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
    server.closeAllConnections();
  });
}
