/**
 * The adapter's own errors. Each carries a stable `code` and keeps its `cause`; each is a branded `MonomythError`, so
 * `instanceof` holds across two copies of this package. URLs in messages never show a password.
 */
import { MonomythError, brandError } from '@monomyth/node/adapter';

/**
 * Why the adapter has no connection: it could not open one, the broker refused the user/password or the virtual host
 * (it does not exist, or the user has no permission on it), or the adapter gave up reconnecting.
 */
export type ConnectionFailure = 'unreachable' | 'access-refused' | 'vhost-refused' | 'gave-up';

/** The virtual host a URL names, as RabbitMQ reads it: the decoded path, `/` when there is none. */
function vhostOf(url: string): string {
  try {
    const path = new URL(url).pathname.slice(1);
    return path === '' ? '/' : decodeURIComponent(path);
  } catch {
    return '/';
  }
}

/**
 * The broker cannot be reached, refused the credentials or the virtual host, or stayed away past
 * `reconnect.maxAttempts`. `url` is redacted (`amqp://user:***@host:port`). A refusal says what was refused in plain
 * words (the broker's own text stays in `cause`); the other failures end with their `detail`.
 */
export class RabbitMqConnectionError extends MonomythError {
  static {
    brandError(this, '@monomyth/rmq.RabbitMqConnectionError');
  }

  readonly code = 'RMQ_CONNECTION_FAILED';
  readonly url: string;
  readonly reason: ConnectionFailure;

  constructor(
    url: string,
    reason: ConnectionFailure,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      reason === 'access-refused'
        ? `RabbitMQ refused the user/password for ${url}`
        : reason === 'vhost-refused'
          ? `RabbitMQ at ${url} refused the virtual host "${vhostOf(url)}": it does not exist, or the user has no ` +
            'permission on it'
          : `RabbitMQ at ${url}: ${reason === 'gave-up' ? 'gave up reconnecting' : 'cannot connect'} (${detail})`,
      options,
    );
    this.url = url;
    this.reason = reason;
  }
}

/**
 * The broker refused to store a message it was sent (a basic.nack: an overflowing queue with `reject-publish`, an
 * internal error). The batch is not placed; retrying may meet the same refusal.
 */
export class RabbitMqPublishNackedError extends MonomythError {
  static {
    brandError(this, '@monomyth/rmq.RabbitMqPublishNackedError');
  }

  readonly code = 'RMQ_PUBLISH_NACKED';

  constructor(queues: readonly string[]) {
    super(
      `RabbitMQ refused (nacked) a message published to ${queues.map((q) => JSON.stringify(q)).join(', ')}`,
    );
  }
}

/** A channel failed again and again while its connection stayed up: the error the broker gave is the `cause`. */
export class RabbitMqChannelError extends MonomythError {
  static {
    brandError(this, '@monomyth/rmq.RabbitMqChannelError');
  }

  readonly code = 'RMQ_CHANNEL_FAILED';
}

/** The AMQP reply code in an amqplib error (404 NOT_FOUND, 403 ACCESS_REFUSED, 406 PRECONDITION_FAILED), if any. */
export function replyCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
