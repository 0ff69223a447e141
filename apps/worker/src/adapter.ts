/** The stream adapter a worker process gives its nodes, as its flags choose. */
import { MemoryStreamAdapter } from '@monomyth/node';
import type { Logger, StreamAdapter } from '@monomyth/node';

export interface AdapterChoice {
  /** The RabbitMQ URL (`--amqp` or MONOMYTH_AMQP_URL). */
  amqp?: string;
  /** The in-memory adapter: only when asked for, since its queues live and die with this one process. */
  memory: boolean;
}

export async function openAdapter(choice: AdapterChoice, _logger: Logger): Promise<StreamAdapter> {
  if (choice.memory) {
    const adapter = new MemoryStreamAdapter();
    await adapter.open();
    return adapter;
  }
  throw new Error('RabbitMQ is not available in this build: run with --memory');
}
