/** The stream adapter a worker process gives its nodes, as its flags choose. */
import { MemoryStreamAdapter } from '@monomyth/node/memory';
import type { Logger, StreamAdapter } from '@monomyth/node';
import { RabbitMqStreamAdapter, redactUrl } from '@monomyth/rmq';
import type { QueueType } from '@monomyth/rmq';
import { createAdapterFromModule } from './adapter-module.js';

export type { QueueType };

/**
 * `--amqp` (or MONOMYTH_AMQP_URL) as a list: one URL, or several separated by commas (a comma inside a password is
 * written %2C, as any URL requires). Throws, naming the bad entry with its password hidden, on an empty list or an
 * entry that is not amqp:// or amqps://.
 */
export function parseAmqpUrls(value: string): string[] {
  const urls = value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
  if (urls.length === 0) throw new Error('--amqp: expected one or more amqp:// URLs, got none');
  for (const url of urls) {
    if (!/^amqps?:\/\/[^/]/.test(url))
      throw new Error(`--amqp: expected amqp://... or amqps://..., got ${redactUrl(url)}`);
  }
  return urls;
}

export interface AdapterChoice {
  /** The RabbitMQ URLs (`--amqp` or MONOMYTH_AMQP_URL): one broker, or the nodes of one cluster. */
  amqp?: readonly string[];
  /** The in-memory adapter: only when asked for, since its queues live and die with this one process. */
  memory: boolean;
  /** `--adapter`: a module whose default export creates the adapter (adapter-module.ts). */
  module?: string;
  /** Names the broker connections after the worker, for the management UI. */
  workerId: string;
  /** Reconnections tried in a row before the adapter gives up. @default no limit */
  reconnectAttempts?: number;
  /** How queues are declared. @default the adapter's default */
  queueType?: QueueType;
}

export interface OpenedAdapter {
  readonly adapter: StreamAdapter;
  /** Resolves if the adapter gives up for good (the broker stayed away, or refused the credentials). */
  readonly failed: Promise<Error> | undefined;
}

/** Opens the chosen adapter; rejects (naming the broker, password redacted) when it cannot connect. */
export async function openAdapter(choice: AdapterChoice, logger: Logger): Promise<OpenedAdapter> {
  if (choice.memory) {
    const adapter = new MemoryStreamAdapter();
    await adapter.open();
    return { adapter, failed: undefined };
  }
  if (choice.module !== undefined) {
    const adapter = await createAdapterFromModule(choice.module, {
      workerId: choice.workerId,
      logger,
      env: process.env,
      amqp: choice.amqp,
    });
    await adapter.open();
    // An adapter that can give up for good says so as RabbitMQ's does: a failed() promise.
    const failed = (adapter as { failed?: () => Promise<Error> }).failed;
    return { adapter, failed: typeof failed === 'function' ? failed.call(adapter) : undefined };
  }
  const adapter = new RabbitMqStreamAdapter({
    url: choice.amqp ?? [],
    connectionName: choice.workerId,
    logger,
    reconnect:
      choice.reconnectAttempts === undefined
        ? undefined
        : { maxAttempts: choice.reconnectAttempts },
    queueType: choice.queueType,
  });
  await adapter.open();
  return { adapter, failed: adapter.failed() };
}
