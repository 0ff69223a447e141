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
}

/** Opens the chosen adapter; rejects (naming the broker, password redacted) when it cannot connect. */
export async function openAdapter(choice: AdapterChoice, logger: Logger): Promise<StreamAdapter> {
  const adapter: StreamAdapter = choice.memory
    ? new MemoryStreamAdapter()
    : new RabbitMqStreamAdapter({
        url: choice.amqp ?? '',
        connectionName: choice.workerId,
        logger,
      });
  await adapter.open();
  return adapter;
}
