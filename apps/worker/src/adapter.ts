/** The stream adapter a worker process gives its nodes, as its flags choose. */
import { MemoryStreamAdapter } from '@monomyth/node';
import type { Logger, StreamAdapter } from '@monomyth/node';
import { RabbitMqStreamAdapter } from '@monomyth/rmq';

export interface AdapterChoice {
  /** The RabbitMQ URL (`--amqp` or MONOMYTH_AMQP_URL). */
  amqp?: string;
  /** The in-memory adapter: only when asked for, since its queues live and die with this one process. */
  memory: boolean;
  /** Names the broker connections after the worker, for the management UI. */
  workerId: string;
  /** Reconnections tried in a row before the adapter gives up. @default no limit */
  reconnectAttempts?: number;
  /** Declare quorum queues rather than classic ones. */
  quorumQueues: boolean;
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
  const adapter = new RabbitMqStreamAdapter({
    url: choice.amqp ?? '',
    connectionName: choice.workerId,
    logger,
    reconnect:
      choice.reconnectAttempts === undefined
        ? undefined
        : { maxAttempts: choice.reconnectAttempts },
    queueArguments: choice.quorumQueues ? { 'x-queue-type': 'quorum' } : undefined,
  });
  await adapter.open();
  return { adapter, failed: adapter.failed() };
}
