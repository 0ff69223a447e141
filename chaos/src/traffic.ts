/**
 * The chaos run's traffic, on connections of its own (never the workers'): inputs published with publisher confirms
 * (an input counts once the broker has confirmed it), outputs read and acked as they come, queue depths read passively.
 * The queues are the workers' to declare, with their type and arguments: the run only checks that they exist.
 */
import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { Tally } from './tally.js';
import { sleep } from './cluster.js';

/** Publishes not yet confirmed before the publisher waits: bounds memory and the broker's flow control. */
const CONFIRM_WINDOW = 2_000;
const TICK_MS = 20;

async function open(url: string): Promise<ChannelModel> {
  const connection = await connect(url);
  // A broker killed under a connection is part of the run: its error must not end the process.
  connection.on('error', () => {});
  return connection;
}

/** Waits until `queue` exists (a passive declare fails, and closes its channel, while it does not). */
export async function waitForQueue(
  connection: ChannelModel,
  queue: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      await channel.checkQueue(queue);
      await channel.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`queue ${queue} not declared in ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}

export class InputPublisher {
  readonly #connection: ChannelModel;
  readonly #channel: ConfirmChannel;
  readonly #queue: string;
  readonly #tally: Tally;
  #outstanding = 0;
  #nacked = 0;
  #confirmedOne: (() => void) | undefined;

  private constructor(
    connection: ChannelModel,
    channel: ConfirmChannel,
    queue: string,
    tally: Tally,
  ) {
    this.#connection = connection;
    this.#channel = channel;
    this.#queue = queue;
    this.#tally = tally;
  }

  static async open(url: string, queue: string, tally: Tally): Promise<InputPublisher> {
    const connection = await open(url);
    await waitForQueue(connection, queue);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => {});
    return new InputPublisher(connection, channel, queue, tally);
  }

  /**
   * Publishes `inputs`, paced at `ratePerSec` (all at once, within the confirm window, when undefined); `onEach` sees
   * the count sent so far, so a scenario can act at a point of its load. Resolves once every one is confirmed.
   */
  async publish(
    inputs: readonly string[],
    ratePerSec?: number,
    onEach?: (sent: number) => Promise<void> | void,
  ): Promise<void> {
    const started = Date.now();
    for (let sent = 0; sent < inputs.length;) {
      if (ratePerSec !== undefined) {
        const due = Math.min(
          inputs.length,
          Math.floor(((Date.now() - started) * ratePerSec) / 1000),
        );
        if (sent >= due) {
          await sleep(TICK_MS);
          continue;
        }
      }
      await this.send(inputs[sent] as string);
      sent += 1;
      await onEach?.(sent);
    }
    await this.#channel.waitForConfirms();
    if (this.#nacked > 0) throw new Error(`the broker refused ${this.#nacked} inputs`);
  }

  /** Sends one input; the tally counts it once the broker confirms it. */
  async send(input: string): Promise<void> {
    while (this.#outstanding >= CONFIRM_WINDOW)
      await new Promise<void>((resolve) => (this.#confirmedOne = resolve));
    this.#outstanding += 1;
    const entry = this.#tally.published(input);
    this.#channel.sendToQueue(
      this.#queue,
      Buffer.from(JSON.stringify(input)),
      { persistent: true },
      (error) => {
        this.#outstanding -= 1;
        if (error) this.#nacked += 1;
        else this.#tally.confirmed(entry);
        const waiting = this.#confirmedOne;
        this.#confirmedOne = undefined;
        waiting?.();
      },
    );
  }

  async close(): Promise<void> {
    await this.#connection.close().catch(() => {});
  }
}

/** Reads outputs as they arrive, acking each once counted. */
export class OutputReader {
  readonly #connection: ChannelModel;

  private constructor(connection: ChannelModel) {
    this.#connection = connection;
  }

  static async open(url: string, queue: string, tally: Tally): Promise<OutputReader> {
    const connection = await open(url);
    try {
      await OutputReader.consume(connection, queue, tally);
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
    return new OutputReader(connection);
  }

  private static async consume(
    connection: ChannelModel,
    queue: string,
    tally: Tally,
  ): Promise<void> {
    await waitForQueue(connection, queue);
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    await channel.prefetch(1000);
    await channel.consume(queue, (message) => {
      if (!message) return;
      let output: unknown;
      try {
        output = JSON.parse(message.content.toString('utf8'));
      } catch {
        output = undefined;
      }
      // Anything that is not a JSON string is nobody's expected output: wrong.
      tally.received(typeof output === 'string' ? output : `\u0000${message.content.length}`);
      channel.ack(message);
    });
  }

  async close(): Promise<void> {
    await this.#connection.close().catch(() => {});
  }
}

/**
 * Reads queue depths and fail-queue contents. Its connection is opened on first use and again after the broker went
 * away, so it serves across a broker kill.
 */
export class QueueInspector {
  readonly #url: string;
  #connection: Promise<ChannelModel> | undefined;

  constructor(url: string) {
    this.#url = url;
  }

  /** Messages ready in `queue` (0 for a queue that does not exist, or while the broker is away). */
  async depth(queue: string): Promise<number> {
    return this.#withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount, 0);
  }

  /** Takes every message from `queue` (acked: the run is over) and counts those whose body is `poison`. */
  async drain(queue: string, poison?: Buffer): Promise<{ messages: number; poison: number }> {
    return this.#withChannel(
      async (channel) => {
        let messages = 0;
        let found = 0;
        for (;;) {
          const message = await channel.get(queue, { noAck: true });
          if (message === false) break;
          messages += 1;
          if (poison?.equals(message.content)) found += 1;
        }
        return { messages, poison: found };
      },
      { messages: 0, poison: 0 },
    );
  }

  async close(): Promise<void> {
    const connection = await this.#connection?.catch(() => undefined);
    this.#connection = undefined;
    await connection?.close().catch(() => {});
  }

  async #withChannel<T>(use: (channel: Channel) => Promise<T>, missing: T): Promise<T> {
    let channel: Channel;
    try {
      this.#connection ??= open(this.#url).then((connection) => {
        connection.once('close', () => (this.#connection = undefined));
        return connection;
      });
      channel = await (await this.#connection).createChannel();
    } catch {
      this.#connection = undefined;
      return missing;
    }
    channel.on('error', () => {});
    try {
      return await use(channel);
    } catch {
      return missing;
    } finally {
      await channel.close().catch(() => {});
    }
  }
}
