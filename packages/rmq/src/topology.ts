/**
 * What the adapter has declared on the broker, and the admin channel it declares on: queues (with the arguments of
 * queue-arguments.ts), retry queues (retry-topology.ts), the bindings of fail queues to a user's `deadLetterExchange`
 * and to `monomyth.dead-letter`, and which queues are known to exist.
 *
 * Declarations and queue checks go through one admin channel on the consuming connection, one at a time: a failed
 * check (404) closes that channel and nothing else. Everything declared is declared again on every new connection,
 * before consumers resume; a declaration the broker refuses then costs only itself (refused-declarations.ts).
 *
 * Dead letters no fail queue is bound for (a queue read by a consumer that gave no `failQueue`, say) are not dropped:
 * `monomyth.dead-letter` has an alternate exchange, `monomyth.dead-letter.unrouted`, whose queue of the same name keeps
 * them.
 */
import type { Channel, ChannelModel } from 'amqplib';
import { AdapterClosedError, UnknownQueueError, describeError } from '@monomyth/node/adapter';
import type { Logger } from '@monomyth/node';
import type { ConnectionKeeper } from './connection-keeper.js';
import { KeeperClosedError } from './connection-keeper.js';
import { RabbitMqChannelError, replyCodeOf } from './errors.js';
import type { CompiledRabbitMqOptions, QueueArgumentValue } from './options.js';
import {
  DEAD_LETTER_EXCHANGE,
  FAIL_QUEUE_SUFFIX,
  UNROUTED_DEAD_LETTERS,
  baseArguments,
  deadLettersByName,
  queueArguments,
} from './queue-arguments.js';
import { RefusedDeclarations, isChannelRefusal } from './refused-declarations.js';
import type { RedeclareStep } from './refused-declarations.js';
import { retryQueueArguments, retryQueueName } from './retry-topology.js';
import { closeQuietly } from './close-quietly.js';

/** Admin operations retried after a lost connection before they give up. */
const MAX_ADMIN_ATTEMPTS = 5;
type Arguments = Record<string, QueueArgumentValue>;

/** What the topology needs from its adapter. */
export interface TopologyHost {
  readonly options: CompiledRabbitMqOptions;
  readonly logger: Logger;
  /** The consuming connection's keeper, once the adapter opened. */
  readonly keeper: ConnectionKeeper | undefined;
  /** True once the adapter closed or gave up: admin operations stop retrying. */
  readonly over: boolean;
  readonly reconnectDelayMs: number;
}

export class QueueTopology {
  /** Queues this adapter declared, with their arguments: declared again on every new connection. */
  private readonly declared = new Map<string, Arguments>();
  /** Queues known to exist: declared here, or checked. */
  private readonly known = new Set<string>();
  /** Fail queues bound to the user's dead-letter exchange. */
  private readonly bound = new Set<string>();
  /** Fail queue -> the source queues whose dead letters it receives (bound on `DEAD_LETTER_EXCHANGE`). */
  private readonly deadLetterRoutes = new Map<string, Set<string>>();
  /** True once `DEAD_LETTER_EXCHANGE` and its alternate are declared. */
  private deadLetterExchange = false;
  private adminChannel: Channel | undefined;
  private adminQueue: Promise<unknown> = Promise.resolve();
  /** Declarations a new connection could not make again, tried again later (see `declareAgain`). */
  private readonly refused: RefusedDeclarations;

  constructor(private readonly host: TopologyHost) {
    this.refused = new RefusedDeclarations(
      host.logger,
      (step) => this.admin(step.what, step.run),
      () => host.over,
    );
  }

  isKnown(queue: string): boolean {
    return this.known.has(queue);
  }

  /** A queue found missing (its messages came back unroutable): checked again before the next publish to it. */
  forget(queue: string): void {
    this.known.delete(queue);
  }

  /** True when the broker dead-letters `queue`'s messages by name (this adapter declared it so). */
  deadLettersByName(queue: string): boolean {
    return deadLettersByName(queue, this.declared.get(queue));
  }

  /** Declares a queue with its arguments (and binds a fail queue to the user's exchange). */
  async declareQueue(queue: string): Promise<void> {
    const args = queueArguments(queue, this.host.options);
    await this.admin(`declare queue ${JSON.stringify(queue)}`, (channel, model) =>
      this.assertQueue(channel, model, queue, args),
    );
    this.declared.set(queue, args);
    this.known.add(queue);
    if (args['x-dead-letter-exchange'] === DEAD_LETTER_EXCHANGE && !this.deadLetterExchange) {
      await this.admin('declare the dead-letter exchange', (channel, model) =>
        this.declareDeadLetterExchange(channel, model),
      );
      this.deadLetterExchange = true;
    }
    const exchange = this.host.options.deadLetterExchange;
    if (exchange !== undefined && queue.endsWith(FAIL_QUEUE_SUFFIX)) {
      await this.admin(
        `bind ${JSON.stringify(queue)} to ${JSON.stringify(exchange)}`,
        async (channel) => {
          await channel.assertExchange(exchange, 'topic', { durable: true });
          await channel.bindQueue(queue, exchange, queue);
        },
      );
      this.bound.add(queue);
    }
  }

  /** Where a message to `queue` is published: the dead-letter exchange for bound fail queues, else the queue itself. */
  routeOf(queue: string): { exchange: string; routingKey: string } {
    const exchange = this.host.options.deadLetterExchange;
    if (exchange !== undefined && this.bound.has(queue)) return { exchange, routingKey: queue };
    return { exchange: '', routingKey: queue };
  }

  /** Declares the retry queue of `source` for `bucketMs`, unless declared already; returns its name. */
  async declareRetryQueue(source: string, bucketMs: number): Promise<string> {
    const queue = retryQueueName(source, bucketMs);
    if (this.declared.has(queue)) return queue;
    const args = retryQueueArguments(source, bucketMs, baseArguments(this.host.options));
    if (args['x-queue-type'] === 'quorum') {
      // Quorum queues dead-letter at most once unless told otherwise: a retry must not be lost on the way back.
      args['x-dead-letter-strategy'] = 'at-least-once';
      args['x-overflow'] = 'reject-publish';
    }
    await this.admin(`declare retry queue ${JSON.stringify(queue)}`, (channel) =>
      channel.assertQueue(queue, { durable: true, arguments: args }),
    );
    this.declared.set(queue, args);
    this.known.add(queue);
    return queue;
  }

  /** Binds `failQueue` to the dead-letter exchange for the dead letters of `source`. */
  async bindDeadLetters(source: string, failQueue: string): Promise<void> {
    const sources = this.deadLetterRoutes.get(failQueue);
    if (sources?.has(source) === true) return;
    await this.admin(
      `bind ${JSON.stringify(failQueue)} for the dead letters of ${JSON.stringify(source)}`,
      async (channel, model) => {
        if (!this.deadLetterExchange) await this.declareDeadLetterExchange(channel, model);
        await channel.bindQueue(failQueue, DEAD_LETTER_EXCHANGE, source);
      },
    );
    this.deadLetterExchange = true;
    if (sources === undefined) this.deadLetterRoutes.set(failQueue, new Set([source]));
    else sources.add(source);
  }

  async ensureKnown(queues: readonly string[], operation: string): Promise<void> {
    for (const queue of queues) {
      if (this.known.has(queue)) continue;
      await this.check(queue, operation);
      this.known.add(queue);
    }
  }

  check(
    queue: string,
    operation: string,
  ): Promise<{ messageCount: number; consumerCount: number }> {
    return this.admin(`check queue ${JSON.stringify(queue)}`, (channel) =>
      channel.checkQueue(queue),
    ).catch((error: unknown) => {
      if (
        replyCodeOf(error) === 404 ||
        (error instanceof RabbitMqChannelError && replyCodeOf(error.cause) === 404)
      ) {
        throw new UnknownQueueError(operation, queue, { cause: error });
      }
      throw error;
    });
  }

  /**
   * Runs `fn` on the admin channel, one operation at a time. A channel error (404, 406) closes that channel and
   * rejects with the broker's reply; a lost connection is waited out and the operation tried again.
   */
  private admin<T>(
    what: string,
    fn: (channel: Channel, model: ChannelModel) => Promise<T>,
  ): Promise<T> {
    const run = async (): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        const keeper = this.host.keeper;
        if (keeper === undefined) throw new AdapterClosedError(what, 'not open');
        let model: ChannelModel;
        try {
          model = await keeper.whenUp();
        } catch (error) {
          if (error instanceof KeeperClosedError) throw new AdapterClosedError(what, 'closed');
          throw error;
        }
        let channel: Channel;
        try {
          channel = await this.adminChannelOn(model);
          return await fn(channel, model);
        } catch (error) {
          const code = replyCodeOf(error);
          if (code !== undefined && code !== 320) {
            if (code === 406) {
              throw new RabbitMqChannelError(
                `cannot ${what}: the broker refused it (${describeError(error)}); an existing queue keeps the arguments ` +
                  'it was declared with',
                { cause: error },
              );
            }
            throw error;
          }
          if (attempt >= MAX_ADMIN_ATTEMPTS || this.host.over) throw error;
          await new Promise((resolve) => setTimeout(resolve, this.host.reconnectDelayMs));
        }
      }
    };
    const result = this.adminQueue.then(run, run);
    this.adminQueue = result.catch(() => {});
    return result;
  }

  private async adminChannelOn(model: ChannelModel): Promise<Channel> {
    const current = this.adminChannel;
    if (current !== undefined && current.connection === model.connection) {
      return current;
    }
    const channel = await model.createChannel();
    channel.on('error', (error: Error) =>
      this.host.logger.debug(
        { error: describeError(error) },
        'RabbitMQ admin channel closed by the broker',
      ),
    );
    channel.on('close', () => {
      if (this.adminChannel === channel) this.adminChannel = undefined;
    });
    this.adminChannel = channel;
    return channel;
  }

  /**
   * On a new consuming connection, before consumers resume: declare again what this adapter declared, one declaration
   * at a time. A declaration the broker refuses costs only itself: on a cluster, a queue whose only node is down
   * cannot be declared again (404 "home node ... is down") and must not keep every consumer from resuming. It is
   * logged and tried again later, with backoff, on the admin channel, until it succeeds; that is safe because every
   * queue here was declared once already (it exists, or the retry creates it). Only a lost connection fails the whole:
   * the keeper then tries the next URL.
   */
  async declareAgain(model: ChannelModel): Promise<void> {
    this.refused.clear();
    const steps = this.redeclareSteps();
    if (steps.length === 0) return;
    const refused: RedeclareStep[] = [];
    let channel: Channel | undefined;
    try {
      for (const step of steps) {
        if (channel === undefined) {
          channel = await model.createChannel();
          channel.on('error', () => {});
        }
        try {
          await step.run(channel, model);
        } catch (error) {
          if (!isChannelRefusal(error)) throw error;
          this.host.logger.warn(
            { error: describeError(error) },
            `could not ${step.what} again on the new connection; trying it again later`,
          );
          refused.push(step);
          // The broker closed the channel with its refusal: the next step takes a new one.
          void closeQuietly(channel);
          channel = undefined;
        }
      }
    } finally {
      if (channel !== undefined) await closeQuietly(channel);
    }
    this.host.logger.info(
      { queues: this.declared.size, refused: refused.length },
      'declared the queues again',
    );
    this.refused.retry(refused);
  }

  /** What `declareAgain` declares, in order: exchanges before the queues bound to them, queues before bindings. */
  private redeclareSteps(): RedeclareStep[] {
    if (this.declared.size === 0) return [];
    const steps: RedeclareStep[] = [];
    const exchange = this.host.options.deadLetterExchange;
    if (exchange !== undefined && this.bound.size > 0) {
      steps.push({
        what: `declare exchange ${JSON.stringify(exchange)}`,
        run: (channel) => channel.assertExchange(exchange, 'topic', { durable: true }),
      });
    }
    for (const [queue, args] of this.declared) {
      steps.push({
        what: `declare queue ${JSON.stringify(queue)}`,
        run: async (channel, model) => {
          await this.assertQueue(channel, model, queue, args);
          if (exchange !== undefined && this.bound.has(queue))
            await channel.bindQueue(queue, exchange, queue);
        },
      });
    }
    if (this.deadLetterExchange) {
      steps.push({
        what: 'declare the dead-letter exchange',
        run: (channel, model) => this.declareDeadLetterExchange(channel, model),
      });
    }
    for (const [failQueue, sources] of this.deadLetterRoutes)
      for (const source of sources)
        steps.push({
          what: `bind ${JSON.stringify(failQueue)} for the dead letters of ${JSON.stringify(source)}`,
          run: (channel) => channel.bindQueue(failQueue, DEAD_LETTER_EXCHANGE, source),
        });
    return steps;
  }

  /** Closes the admin channel (the adapter is closing). */
  async close(): Promise<void> {
    this.refused.clear();
    const admin = this.adminChannel;
    this.adminChannel = undefined;
    if (admin !== undefined) await closeQuietly(admin);
  }

  /** `DEAD_LETTER_EXCHANGE`, with an alternate exchange and queue for dead letters no fail queue is bound for. */
  private async declareDeadLetterExchange(channel: Channel, model: ChannelModel): Promise<void> {
    await channel.assertExchange(UNROUTED_DEAD_LETTERS, 'fanout', { durable: true });
    await this.declareUnroutedQueue(model);
    await channel.bindQueue(UNROUTED_DEAD_LETTERS, UNROUTED_DEAD_LETTERS, '');
    await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', {
      durable: true,
      alternateExchange: UNROUTED_DEAD_LETTERS,
    });
  }

  /** Declares `queue` with `args`; the queue of unrouted dead letters as `declareUnroutedQueue` does. */
  private async assertQueue(
    channel: Channel,
    model: ChannelModel,
    queue: string,
    args: Arguments,
  ): Promise<void> {
    if (queue === UNROUTED_DEAD_LETTERS) await this.declareUnroutedQueue(model);
    else await channel.assertQueue(queue, { durable: true, arguments: args });
  }

  /**
   * The queue of unrouted dead letters, of this adapter's queue type. Adapters of both types may share a broker: when
   * the other type declared it first (406, inequivalent arguments), it is kept as it is. On a channel of its own,
   * since a 406 closes the channel it comes on.
   */
  private async declareUnroutedQueue(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      await channel.assertQueue(UNROUTED_DEAD_LETTERS, {
        durable: true,
        arguments: queueArguments(UNROUTED_DEAD_LETTERS, this.host.options),
      });
    } catch (error) {
      if (replyCodeOf(error) !== 406) throw error;
      this.host.logger.debug(
        { error: describeError(error) },
        `${UNROUTED_DEAD_LETTERS} exists with other arguments (another queue type); kept as it is`,
      );
    } finally {
      await closeQuietly(channel);
    }
  }
}
