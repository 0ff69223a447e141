import { MonomythError, brandError } from '@monomyth/node/adapter';

/** No RabbitMQ server scripts on this machine. */
export class RabbitMqNotInstalledError extends MonomythError {
  static {
    brandError(this, '@monomyth/testing.RabbitMqNotInstalledError');
  }

  readonly code = 'RABBITMQ_NOT_INSTALLED';

  constructor() {
    super(
      'RabbitMQ is not installed: no rabbitmq-server in /usr/lib/rabbitmq/bin or on PATH. ' +
        'Install it (Debian: apt-get install rabbitmq-server), or run the tests against a running broker with ' +
        'MONOMYTH_AMQP_URL=amqp://user:password@host:5672.',
    );
  }
}

/** The broker exited while booting or did not accept connections in time; `output` holds the last lines it printed. */
export class RabbitMqStartError extends MonomythError {
  static {
    brandError(this, '@monomyth/testing.RabbitMqStartError');
  }

  readonly code = 'RABBITMQ_START_FAILED';
  readonly output: readonly string[];

  constructor(message: string, output: readonly string[]) {
    super(output.length > 0 ? `${message}. Its last output:\n  ${output.join('\n  ')}` : message);
    this.output = [...output];
  }
}
