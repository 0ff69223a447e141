/**
 * One AMQP connection kept up: opened once, watched, and opened again with exponential backoff when it drops.
 *
 *   idle --open()--> up --(connection lost)--> down --(reconnected, setup done)--> up
 *                                                \--(access refused, or maxAttempts failures)--> failed
 *   any --close()--> closed
 *
 * Whoever needs the connection asks `whenUp()`: it resolves at once while up, waits while down, and rejects once the
 * keeper failed or closed. Channels are not the keeper's business: their owners notice their own channels closing and
 * ask `whenUp()` again. amqplib's own recovering connection is not used, because channels, consumers, delivery tags and
 * confirms all die with the connection and have to be rebuilt by their owners anyway; a small keeper that says when a
 * new connection is ready is all they need.
 */
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { Logger } from '@monomyth/node';
import { RabbitMqConnectionError, messageOf } from './errors.js';
import { redactSecret } from './options.js';
import type { CompiledRabbitMqOptions } from './options.js';

export type KeeperState = 'idle' | 'up' | 'down' | 'failed' | 'closed';

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
  private currentState: KeeperState = 'idle';
  private failure: RabbitMqConnectionError | undefined;
  private waiters: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
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
  }

  get state(): KeeperState {
    return this.currentState;
  }

  /** The connection while up. */
  get current(): ChannelModel | undefined {
    return this.currentState === 'up' ? this.model : undefined;
  }

  /** Connects once; rejects with a `RabbitMqConnectionError` (URL redacted) when that fails. No retry here. */
  async open(): Promise<void> {
    if (this.currentState !== 'idle') return;
    const model = await this.connectOnce();
    if ((this.currentState as KeeperState) === 'closed') {
      await model.close().catch(() => {});
      throw new KeeperClosedError();
    }
    this.adopt(model);
  }

  /** The connection, once it is up. Rejects with the keeper's failure, or `KeeperClosedError` once closed. */
  whenUp(): Promise<ChannelModel> {
    if (this.currentState === 'up' && this.model !== undefined) return Promise.resolve(this.model);
    if (this.currentState === 'failed') return Promise.reject(this.failure);
    if (this.currentState === 'closed') return Promise.reject(new KeeperClosedError());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    clearTimeout(this.timer);
    this.rejectWaiters(new KeeperClosedError());
    const model = this.model;
    this.model = undefined;
    if (model !== undefined) await model.close().catch(() => {});
  }

  private async connectOnce(): Promise<ChannelModel> {
    const { options } = this;
    let model: ChannelModel;
    try {
      model = await connect(withHeartbeat(options.url, options.heartbeatSeconds), {
        timeout: options.connectTimeoutMs,
        clientProperties: { connection_name: `${options.connectionName} (${this.role})` },
      });
    } catch (error) {
      throw connectionError(options, error);
    }
    model.on('error', (error: Error) => {
      this.logger.warn(
        { error: redactSecret(messageOf(error), options.url) },
        'RabbitMQ connection error',
      );
    });
    model.on('blocked', (reason: string) =>
      this.logger.warn({ reason }, 'RabbitMQ blocked the connection (resource alarm)'),
    );
    model.on('unblocked', () => this.logger.info('RabbitMQ unblocked the connection'));
    if (this.setup !== undefined) {
      try {
        await this.setup(model);
      } catch (error) {
        await model.close().catch(() => {});
        throw error;
      }
    }
    return model;
  }

  private adopt(model: ChannelModel): void {
    this.model = model;
    this.currentState = 'up';
    this.attempts = 0;
    model.once('close', (error?: Error) => this.lost(model, error));
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(model);
  }

  private lost(model: ChannelModel, error: Error | undefined): void {
    if (this.model !== model || this.currentState !== 'up') return;
    this.model = undefined;
    this.currentState = 'down';
    this.logger.warn(
      {
        error: error === undefined ? undefined : redactSecret(messageOf(error), this.options.url),
      },
      'RabbitMQ connection lost; reconnecting',
    );
    this.schedule();
  }

  private schedule(): void {
    const { minDelayMs, maxDelayMs } = this.options.reconnect;
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** this.attempts);
    const delay = Math.min(maxDelayMs, Math.round(base * (0.8 + 0.4 * Math.random())));
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private async attempt(): Promise<void> {
    if (this.currentState !== 'down') return;
    this.attempts += 1;
    let model: ChannelModel;
    try {
      model = await this.connectOnce();
    } catch (error) {
      if ((this.currentState as KeeperState) !== 'down') return;
      const refused = error instanceof RabbitMqConnectionError && error.reason === 'access-refused';
      if (refused || this.attempts >= this.options.reconnect.maxAttempts) {
        this.fail(
          refused
            ? (error as RabbitMqConnectionError)
            : new RabbitMqConnectionError(
                this.options.redactedUrl,
                'gave-up',
                `${this.attempts} attempts failed; the last: ${messageOf(error)}`,
                { cause: error },
              ),
        );
        return;
      }
      this.logger.warn(
        { attempt: this.attempts, error: messageOf(error) },
        'RabbitMQ reconnection failed; trying again',
      );
      this.schedule();
      return;
    }
    if ((this.currentState as KeeperState) !== 'down') {
      await model.close().catch(() => {});
      return;
    }
    this.logger.info({ attempts: this.attempts }, 'RabbitMQ connection restored');
    this.adopt(model);
  }

  private fail(error: RabbitMqConnectionError): void {
    this.currentState = 'failed';
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
  options: CompiledRabbitMqOptions,
  error: unknown,
): RabbitMqConnectionError {
  const detail = redactSecret(messageOf(error), options.url);
  const refused = /ACCESS[-_]REFUSED|\b403\b|authentication/i.test(detail);
  return new RabbitMqConnectionError(
    options.redactedUrl,
    refused ? 'access-refused' : 'unreachable',
    detail,
    { cause: error },
  );
}
