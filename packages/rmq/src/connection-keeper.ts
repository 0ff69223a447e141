/**
 * One AMQP connection kept up: opened once, watched, and opened again with exponential backoff when it drops.
 *
 *   idle --open()--> up --(connection lost)--> down --(reconnected, setup done)--> up
 *                                                \--(access refused, or maxAttempts failures)--> failed
 *   any --close()--> closed
 *
 * With several URLs (the nodes of one cluster), `open()` takes the first that answers, in order; after a loss, every
 * attempt goes to the next URL in the list, round robin, so a dead node costs one failed attempt and not a wait. The
 * delay before an attempt grows with each full round of failed attempts through the list, as it would per attempt with
 * one URL.
 *
 * Whoever needs the connection asks `whenUp()`: it resolves at once while up, waits while down, and rejects once the
 * keeper failed or closed. Channels are not the keeper's business: their owners notice their own channels closing and
 * ask `whenUp()` again. amqplib's own recovering connection is not used, because channels, consumers, delivery tags and
 * confirms all die with the connection and have to be rebuilt by their owners anyway; a small keeper that says when a
 * new connection is ready is all they need.
 */
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { Lifecycle } from '@monomyth/mmop';
import { closeQuietly } from './close-quietly.js';
import { coalesceWrites } from './coalesced-writes.js';
import { describeError } from '@monomyth/node/adapter';
import type { Logger } from '@monomyth/node';
import { RabbitMqConnectionError } from './errors.js';
import type { ConnectionFailure } from './errors.js';
import { redactSecrets, redactUrl } from './options.js';
import type { CompiledRabbitMqOptions } from './options.js';

export type KeeperState = 'idle' | 'up' | 'down' | 'failed' | 'closed';

const KEEPER_TRANSITIONS = {
  idle: ['up', 'closed'],
  up: ['down', 'closed'],
  down: ['up', 'failed', 'closed'],
  failed: ['closed'],
  closed: [],
} as const satisfies Record<KeeperState, readonly KeeperState[]>;

/** Thrown by `whenUp()` once the keeper was closed on purpose. */
export class KeeperClosedError extends Error {
  override readonly name = 'KeeperClosedError';
  constructor() {
    super('the connection was closed');
  }
}

interface Waiter {
  resolve(model: ChannelModel): void;
  reject(error: unknown): void;
}

export class ConnectionKeeper {
  private model: ChannelModel | undefined;
  private readonly life: Lifecycle<KeeperState>;
  private failure: RabbitMqConnectionError | undefined;
  private waiters: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  /** The URL in use, or the one the next attempt goes to. */
  private urlIndex = 0;
  private readonly logger: Logger;
  /** Called with the broker's failure when the keeper gives up. */
  onFailed: ((error: RabbitMqConnectionError) => void) | undefined;

  constructor(
    readonly role: 'consume' | 'publish',
    private readonly options: CompiledRabbitMqOptions,
    /** Runs on every new connection before it counts as up (declarations). A throw makes the attempt fail. */
    private readonly setup?: (model: ChannelModel) => Promise<void>,
  ) {
    this.logger = options.logger.child({ connection: role });
    this.life = new Lifecycle<KeeperState>({
      component: `rmq ${role} connection`,
      initial: 'idle',
      transitions: KEEPER_TRANSITIONS,
      log: (level, fields, msg) => this.logger[level](fields, msg),
    });
  }

  get state(): KeeperState {
    return this.life.state;
  }

  /** The connection while up. */
  get current(): ChannelModel | undefined {
    return this.life.is('up') ? this.model : undefined;
  }

  /** The URL (password redacted) of the connection while up, else of the next attempt. */
  get currentUrl(): string {
    return redactUrl(this.options.urls[this.urlIndex] as string);
  }

  /**
   * Connects to the first URL that answers, trying each once, in order; rejects with a `RabbitMqConnectionError`
   * (URLs redacted) when none does. No retry here.
   */
  async open(): Promise<void> {
    if (!this.life.is('idle')) return;
    const model = await this.connectToAny();
    if (this.life.is('closed')) {
      await closeQuietly(model);
      throw new KeeperClosedError();
    }
    this.adopt(model);
    if (this.options.urls.length > 1)
      this.logger.info({ url: this.currentUrl }, 'RabbitMQ connected');
  }

  /** The connection, once it is up. Rejects with the keeper's failure, or `KeeperClosedError` once closed. */
  whenUp(): Promise<ChannelModel> {
    if (this.life.is('up') && this.model !== undefined) return Promise.resolve(this.model);
    if (this.life.is('failed')) return Promise.reject(this.failure);
    if (this.life.is('closed')) return Promise.reject(new KeeperClosedError());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.life.is('closed')) return;
    this.life.to('closed');
    clearTimeout(this.timer);
    this.rejectWaiters(new KeeperClosedError());
    const model = this.model;
    this.model = undefined;
    if (model !== undefined) await closeQuietly(model);
  }

  private async connectToAny(): Promise<ChannelModel> {
    const { urls } = this.options;
    const failures: RabbitMqConnectionError[] = [];
    for (let i = 0; i < urls.length; i++) {
      this.urlIndex = i;
      try {
        return await this.connectOnce();
      } catch (error) {
        if (!(error instanceof RabbitMqConnectionError) || urls.length === 1) throw error;
        failures.push(error);
        if (this.life.is('closed')) break;
        this.logger.warn(
          { url: this.currentUrl, error: error.message },
          'RabbitMQ unreachable; trying the next URL',
        );
      }
    }
    this.urlIndex = 0;
    // One reason for the list only when every node gave it: a refusal from some and silence from others is unreachable.
    const first = failures[0]?.reason;
    const same = failures.every((failure) => failure.reason === first);
    throw new RabbitMqConnectionError(
      this.options.redactedUrl,
      same && first !== undefined ? first : 'unreachable',
      failures.map((failure) => failure.message.replace(/^RabbitMQ at /, '')).join('; '),
      { cause: failures[0] },
    );
  }

  private async connectOnce(): Promise<ChannelModel> {
    const { options } = this;
    const url = options.urls[this.urlIndex] as string;
    let model: ChannelModel;
    try {
      model = await connect(withHeartbeat(url, options.heartbeatSeconds), {
        // amqplib hands these to tls.connect for amqps:// URLs (compileRabbitMqOptions allows tls only with those).
        ...options.tls,
        timeout: options.connectTimeoutMs,
        clientProperties: { connection_name: `${options.connectionName} (${this.role})` },
      });
    } catch (error) {
      throw connectionError(url, options.urls, error);
    }
    coalesceWrites(model);
    model.on('error', (error: Error) => {
      this.logger.warn(
        { error: redactSecrets(describeError(error), options.urls) },
        'RabbitMQ connection error',
      );
    });
    model.on('blocked', (reason: string) =>
      this.logger.warn({ reason }, 'RabbitMQ blocked the connection (resource alarm)'),
    );
    model.on('unblocked', () => this.logger.info('RabbitMQ unblocked the connection'));
    // The connection may die while it is being set up, and the setup can still end well (closing its channel ends on
    // the 'close' event): a connection adopted after its 'close' was emitted would count as up for good.
    let closedEarly = false;
    model.once('close', () => {
      closedEarly = true;
    });
    if (this.setup !== undefined) {
      try {
        await this.setup(model);
      } catch (error) {
        await closeQuietly(model);
        throw error;
      }
    }
    if (closedEarly)
      throw new RabbitMqConnectionError(
        redactUrl(url),
        'unreachable',
        'the connection closed while it was being set up',
      );
    return model;
  }

  private adopt(model: ChannelModel): void {
    this.model = model;
    this.life.to('up');
    this.attempts = 0;
    model.once('close', (error?: Error) => this.lost(model, error));
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(model);
  }

  private lost(model: ChannelModel, error: Error | undefined): void {
    if (this.model !== model || !this.life.is('up')) return;
    this.model = undefined;
    this.life.to('down');
    const lostUrl = this.currentUrl;
    this.advance();
    this.logger.warn(
      {
        url: lostUrl,
        next: this.currentUrl,
        error:
          error === undefined ? undefined : redactSecrets(describeError(error), this.options.urls),
      },
      'RabbitMQ connection lost; reconnecting',
    );
    this.schedule();
  }

  /** The next URL in the list, round robin. */
  private advance(): void {
    this.urlIndex = (this.urlIndex + 1) % this.options.urls.length;
  }

  private schedule(): void {
    const { minDelayMs, maxDelayMs } = this.options.reconnect;
    // With several URLs, the delay grows per full round through the list: the next node is tried at once.
    const rounds = Math.floor(this.attempts / this.options.urls.length);
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** rounds);
    const delay = Math.min(maxDelayMs, Math.round(base * (0.8 + 0.4 * Math.random())));
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private async attempt(): Promise<void> {
    if (!this.life.is('down')) return;
    this.attempts += 1;
    let model: ChannelModel;
    try {
      model = await this.connectOnce();
    } catch (error) {
      if (!this.life.is('down')) return;
      // A refused user stays refused. A refused virtual host is tried again: a broker that is starting up refuses
      // connections to a vhost it has not started yet the same way.
      const refused = error instanceof RabbitMqConnectionError && error.reason === 'access-refused';
      if (refused || this.attempts >= this.options.reconnect.maxAttempts) {
        this.fail(
          refused
            ? (error as RabbitMqConnectionError)
            : new RabbitMqConnectionError(
                this.options.redactedUrl,
                'gave-up',
                `${this.attempts} attempts failed; the last: ${describeError(error)}`,
                { cause: error },
              ),
        );
        return;
      }
      this.logger.warn(
        { attempt: this.attempts, url: this.currentUrl, error: describeError(error) },
        'RabbitMQ reconnection failed; trying again',
      );
      this.advance();
      this.schedule();
      return;
    }
    if (!this.life.is('down')) {
      await closeQuietly(model);
      return;
    }
    this.logger.info(
      { attempts: this.attempts, url: this.currentUrl },
      'RabbitMQ connection restored',
    );
    this.adopt(model);
  }

  private fail(error: RabbitMqConnectionError): void {
    this.life.to('failed', { error: error.message });
    this.failure = error;
    this.logger.error({ error: error.message }, 'giving up on RabbitMQ');
    this.rejectWaiters(error);
    this.onFailed?.(error);
  }

  private rejectWaiters(error: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}

/** Adds `heartbeat=<s>` to the URL unless it sets one. */
function withHeartbeat(url: string, seconds: number): string {
  try {
    const parsed = new URL(url);
    if (!parsed.searchParams.has('heartbeat'))
      parsed.searchParams.set('heartbeat', String(seconds));
    return parsed.toString();
  } catch {
    return url;
  }
}

function connectionError(
  url: string,
  urls: readonly string[],
  error: unknown,
): RabbitMqConnectionError {
  const detail = redactSecrets(describeError(error), urls);
  return new RabbitMqConnectionError(redactUrl(url), refusalIn(detail), detail, { cause: error });
}

/**
 * What a failed handshake refused, from amqplib's text: ACCESS_REFUSED is the user/password; a connection.close in
 * answer to connection.open (amqplib says `Expected ConnectionOpenOk; got <ConnectionClose ...>`, dropping the
 * broker's NOT_ALLOWED text) is the virtual host.
 */
function refusalIn(detail: string): ConnectionFailure {
  if (/ACCESS[-_]REFUSED|\b403\b|authentication/i.test(detail)) return 'access-refused';
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(detail)) return 'vhost-refused';
  return 'unreachable';
}
