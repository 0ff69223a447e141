/** The RabbitMQ adapter's options: all optional but the URL, compiled once into complete, checked options. */
import { noopLogger } from '@monomyth/node';
import type { Logger } from '@monomyth/node';
import { OptionChecker } from '@monomyth/mmop';

/** A queue argument RabbitMQ understands (`x-queue-type`, `x-max-length`, ...). */
export type QueueArgumentValue = string | number | boolean;

export interface RabbitMqAdapterOptions {
  /**
   * The broker, `amqp://user:password@host:port/vhost` (or `amqps://`), or several: the nodes of one RabbitMQ cluster.
   * With a list, each connection opens to the first URL that answers and, after a loss, tries the next one in turn.
   */
  url: string | readonly string[];
  /**
   * A name shown in the management UI beside each of the adapter's two connections (`<name> (consume)` and
   * `<name> (publish)`). @default 'monomyth'
   */
  connectionName?: string;
  /** How long opening a TCP connection and the AMQP handshake may take. @default 10_000 */
  connectTimeoutMs?: number;
  /** AMQP heartbeat: a dead peer is noticed within about twice this. @default 30 */
  heartbeatSeconds?: number;
  /** Reconnection after a lost connection: exponential backoff between these delays. */
  reconnect?: ReconnectOptions;
  /**
   * The type of every queue the adapter declares. Quorum queues (replicated, Raft) replay far fewer acknowledged
   * messages after a broker crash than classic ones, count redeliveries (`x-delivery-count`) and enforce
   * `deliveryLimit`; classic queues are lighter on a single broker. A queue that already exists with another type is
   * refused by the broker (PRECONDITION_FAILED): delete it, or keep its type here. @default 'quorum'
   */
  queueType?: QueueType;
  /**
   * Quorum queues only: the broker dead-letters a message to its node's fail queue once it was delivered this many
   * times and came back each time (`x-delivery-limit`), a backstop a little above the nodes' own `maxRedeliveries`
   * for consumers that die before they can fail it themselves. `Infinity` sets no limit. @default 15
   */
  deliveryLimit?: number;
  /**
   * The largest body the adapter publishes, in bytes: a larger one is refused on its own (the publish rejects with
   * `MessagesRejectedError` for it and stores the rest) instead of being sent for the broker to close the channel
   * over. Match the broker's `max_message_size`. @default 134_217_728 (RabbitMQ's default, 128 MiB)
   */
  maxMessageBytes?: number;
  /**
   * How long a publish keeps sending again the messages the broker nacked (only those, with backoff from 50 ms to
   * 2 s) before it rejects with `RabbitMqPublishNackedError`. A nack is the broker declining the message for now (a
   * quorum queue electing a new leader after a node died, a full queue with `x-overflow: reject-publish`), not the
   * message's fault; 0 rejects on the first nack. @default 60_000
   */
  nackRetryMs?: number;
  /**
   * Other arguments every queue is declared with, retry queues included (`x-max-length`, ...), over the adapter's
   * own. A queue that already exists with other arguments is refused by the broker (PRECONDITION_FAILED).
   */
  queueArguments?: Readonly<Record<string, QueueArgumentValue>>;
  /**
   * An exchange for users who route failures themselves. When set, the adapter declares it (durable, `topic`) and
   * binds every fail queue (`<type>-fail`) to it with the queue's name as routing key; fail-queue copies are then
   * published to the exchange, so a user's own bindings (`#-fail`, `orders-fail`) receive them too.
   */
  deadLetterExchange?: string;
  /**
   * TLS for `amqps://` URLs: the CA that signed the broker's certificate (a private or self-signed one), a client
   * certificate, ... passed to Node's `tls.connect` for each connection. Only with `amqps://` URLs. See docs/security.md.
   * @default none: Node's trusted CAs (and `NODE_EXTRA_CA_CERTS`) verify the broker
   */
  tls?: RabbitMqTlsOptions;
  /** Receives structured logs (pino's shape). @default a logger that writes nothing */
  logger?: Logger;
}

/** A PEM text or its bytes. */
export type PemInput = string | Buffer;

/** See `RabbitMqAdapterOptions.tls`. The fields are Node's `tls.connect` options of the same names. */
export interface RabbitMqTlsOptions {
  /** The CAs to trust, PEM: given, they replace Node's default list for these connections. */
  ca?: PemInput | PemInput[];
  /** A client certificate (PEM), for a broker that asks for one (`ssl_options.verify = verify_peer`). */
  cert?: PemInput;
  /** The client certificate's private key (PEM). */
  key?: PemInput;
  /** The passphrase of `key`. */
  passphrase?: string;
  /** The name the broker's certificate must carry. @default the URL's host name (none for an IP address) */
  servername?: string;
  /**
   * Refuse a broker whose certificate does not verify. Turning it off gives encryption without knowing who answers:
   * for experiments only. @default true
   */
  rejectUnauthorized?: boolean;
}

/** See `RabbitMqAdapterOptions.queueType`. */
export type QueueType = 'quorum' | 'classic';

/** Every `QueueType`. */
export const QUEUE_TYPES: readonly QueueType[] = Object.freeze(['quorum', 'classic']);

export interface ReconnectOptions {
  /** Delay before the first reconnection attempt. @default 100 */
  minDelayMs?: number;
  /** Longest delay between attempts (the delay doubles per failed attempt). @default 5_000 */
  maxDelayMs?: number;
  /**
   * Failed attempts in a row before the adapter gives up: every operation then rejects with a
   * `RabbitMqConnectionError`, and nodes stop for their supervisor. @default Infinity (wait for the broker)
   */
  maxAttempts?: number;
}

export interface CompiledRabbitMqOptions {
  /** The first of `urls`. */
  readonly url: string;
  /** Every URL given, in order (one or more). */
  readonly urls: readonly string[];
  /** The URLs with their passwords replaced by `***`, comma-separated: the only form that goes into errors and logs. */
  readonly redactedUrl: string;
  readonly connectionName: string;
  readonly connectTimeoutMs: number;
  readonly heartbeatSeconds: number;
  readonly reconnect: Readonly<Required<ReconnectOptions>>;
  readonly queueType: QueueType;
  readonly deliveryLimit: number;
  readonly maxMessageBytes: number;
  readonly nackRetryMs: number;
  /** Without `x-queue-type`: the type is `queueType`. */
  readonly queueArguments: Readonly<Record<string, QueueArgumentValue>>;
  readonly deadLetterExchange: string | undefined;
  /** Passed to `tls.connect` for `amqps://` URLs; undefined when not given. */
  readonly tls: Readonly<RabbitMqTlsOptions> | undefined;
  readonly logger: Logger;
}

export const DEFAULT_CONNECTION_NAME = 'monomyth';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HEARTBEAT_SECONDS = 30;
export const DEFAULT_QUEUE_TYPE: QueueType = 'quorum';
/** A little above the nodes' default `maxRedeliveries` (10), so nodes fail such messages first, with reasons. */
export const DEFAULT_DELIVERY_LIMIT = 15;
/** RabbitMQ's default `max_message_size`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;
/** How long nacked messages are sent again before a publish rejects (see `nackRetryMs`). */
export const DEFAULT_NACK_RETRY_MS = 60_000;
export const DEFAULT_RECONNECT: Readonly<Required<ReconnectOptions>> = Object.freeze({
  minDelayMs: 100,
  maxDelayMs: 5_000,
  maxAttempts: Number.POSITIVE_INFINITY,
});

/** Throws `InvalidOptionError`s of component `'rmq'`. */
// Typed explicitly: only then does TypeScript narrow after `check.fail(...)`, which returns never.
const check: OptionChecker = new OptionChecker('rmq');

/** AMQP's heartbeat is an unsigned 16-bit number of seconds. */
const MAX_HEARTBEAT_SECONDS = 65_535;

/** `amqp://user:***@host:port/vhost`: the URL with its password hidden. Text that is not a URL comes back as is. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** `redactSecret` for each of `urls`. */
export function redactSecrets(text: string, urls: readonly string[]): string {
  return urls.reduce((redacted, url) => redactSecret(redacted, url), text);
}

/** Replaces every occurrence of the URL's password in `text` (an error message from the client, say). */
export function redactSecret(text: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text;
  }
  if (password.length < 3) return text.split(url).join(redactUrl(url));
  return text.split(url).join(redactUrl(url)).split(password).join('***');
}

/** One URL or a non-empty list of them, each amqp:// or amqps://. */
function compileUrls(given: unknown): readonly string[] {
  const list: readonly unknown[] = Array.isArray(given) ? given : [given];
  if (list.length === 0) check.fail('url', 'expected at least one URL, got []');
  list.forEach((url, i) => {
    if (typeof url !== 'string' || !/^amqps?:\/\//.test(url)) {
      check.fail(
        Array.isArray(given) ? `url[${i}]` : 'url',
        `expected amqp://... or amqps://..., got ${typeof url === 'string' ? JSON.stringify(redactUrl(url)) : typeof url}`,
      );
    }
  });
  return Object.freeze([...(list as readonly string[])]);
}

/**
 * The adapter's options with the defaults filled in, checked: throws an `InvalidOptionError` (component `'rmq'`)
 * naming the first bad option. Passwords in URLs never reach its message.
 */
export function compileRabbitMqOptions(options: RabbitMqAdapterOptions): CompiledRabbitMqOptions {
  if (typeof options !== 'object' || options === null) {
    check.fail('options', 'expected an object with at least a url');
  }
  const urls = compileUrls(options.url);
  const reconnect = options.reconnect ?? {};
  // Delays and timeouts here only feed timers: fractions of a millisecond do no harm.
  const minDelayMs = check.duration(
    'reconnect.minDelayMs',
    reconnect.minDelayMs ?? DEFAULT_RECONNECT.minDelayMs,
    { whole: false },
  );
  const maxDelayMs = check.duration(
    'reconnect.maxDelayMs',
    reconnect.maxDelayMs ?? Math.max(DEFAULT_RECONNECT.maxDelayMs, minDelayMs),
    { whole: false },
  );
  if (maxDelayMs < minDelayMs) {
    check.fail('reconnect.maxDelayMs', `is ${maxDelayMs}, below minDelayMs ${minDelayMs}`);
  }
  const queueArguments = { ...(options.queueArguments ?? {}) };
  for (const [key, value] of Object.entries(queueArguments)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      check.fail(`queueArguments.${key}`, 'must be a string, number or boolean');
    }
  }
  const queueType = compileQueueType(options.queueType, queueArguments);
  delete queueArguments['x-queue-type'];
  const deadLetterExchange = options.deadLetterExchange;
  if (
    deadLetterExchange !== undefined &&
    (typeof deadLetterExchange !== 'string' || deadLetterExchange.length === 0)
  ) {
    check.fail('deadLetterExchange', 'must be a non-empty exchange name');
  }
  return Object.freeze({
    url: urls[0] as string,
    urls,
    redactedUrl: urls.map(redactUrl).join(','),
    connectionName: options.connectionName ?? DEFAULT_CONNECTION_NAME,
    connectTimeoutMs: check.duration(
      'connectTimeoutMs',
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      { min: 1, whole: false },
    ),
    heartbeatSeconds: check.wholeNumber(
      'heartbeatSeconds',
      options.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS,
      { min: 0, max: MAX_HEARTBEAT_SECONDS },
    ),
    reconnect: Object.freeze({
      minDelayMs,
      maxDelayMs,
      // Infinity: never give up.
      maxAttempts: check.wholeNumber(
        'reconnect.maxAttempts',
        reconnect.maxAttempts ?? DEFAULT_RECONNECT.maxAttempts,
        { min: 0 },
      ),
    }),
    queueType,
    // Infinity: no x-delivery-limit.
    deliveryLimit: check.wholeNumber(
      'deliveryLimit',
      options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT,
      {
        min: 1,
      },
    ),
    maxMessageBytes: check.wholeNumber(
      'maxMessageBytes',
      options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      { min: 1 },
    ),
    // A deadline, never a timer: Infinity keeps sending nacked messages again for as long as it takes.
    nackRetryMs: check.duration('nackRetryMs', options.nackRetryMs ?? DEFAULT_NACK_RETRY_MS, {
      whole: false,
      max: Number.POSITIVE_INFINITY,
    }),
    queueArguments: Object.freeze(queueArguments),
    deadLetterExchange,
    tls: compileTls(options.tls, urls),
    logger: options.logger ?? noopLogger,
  });
}

function isPem(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

/** Checks the TLS options' types, and that every URL is amqps:// (over amqp:// they would be silently unused). */
function compileTls(
  tls: RabbitMqTlsOptions | undefined,
  urls: readonly string[],
): Readonly<RabbitMqTlsOptions> | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== 'object' || tls === null) {
    check.fail('tls', 'must be an object ({ ca, cert, key, ... })');
  }
  const { ca, cert, key, passphrase, servername, rejectUnauthorized } = tls;
  if (ca !== undefined && !(isPem(ca) || (Array.isArray(ca) && ca.every(isPem)))) {
    check.fail('tls.ca', 'must be PEM text, a Buffer, or a list of them');
  }
  for (const [name, value] of [
    ['cert', cert],
    ['key', key],
  ] as const) {
    if (value !== undefined && !isPem(value)) {
      check.fail(`tls.${name}`, 'must be PEM text or a Buffer');
    }
  }
  for (const [name, value] of [
    ['passphrase', passphrase],
    ['servername', servername],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') {
      check.fail(`tls.${name}`, 'must be a string');
    }
  }
  if (rejectUnauthorized !== undefined) check.boolean('tls.rejectUnauthorized', rejectUnauthorized);
  const plain = urls.findIndex((url) => !url.startsWith('amqps://'));
  if (plain >= 0) {
    check.fail(
      'tls',
      `is given, but ${JSON.stringify(redactUrl(urls[plain] ?? ''))} is not amqps://: TLS applies only to amqps:// URLs`,
    );
  }
  return Object.freeze({ ...tls });
}

/** `queueType`, or the `x-queue-type` of `queueArguments` (as earlier versions took it), not both unless they agree. */
function compileQueueType(
  given: unknown,
  queueArguments: Readonly<Record<string, QueueArgumentValue>>,
): QueueType {
  const argument = queueArguments['x-queue-type'];
  for (const [option, value] of [
    ['queueType', given],
    ["queueArguments['x-queue-type']", argument],
  ] as const) {
    if (value !== undefined) check.oneOf(option, value, QUEUE_TYPES);
  }
  if (given !== undefined && argument !== undefined && given !== argument) {
    check.fail(
      'queueType',
      `is ${JSON.stringify(given)} but queueArguments['x-queue-type'] is ${JSON.stringify(argument)}`,
    );
  }
  return (given ?? argument ?? DEFAULT_QUEUE_TYPE) as QueueType;
}
