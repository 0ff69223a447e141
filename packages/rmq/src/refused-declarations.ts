/**
 * Declarations a new connection could not make again (see `QueueTopology.declareAgain`), tried again later with
 * backoff (1 s doubling to 30 s) until each succeeds, so that one queue the broker refuses for now (on a cluster, a
 * classic queue whose only node is down: 404) never keeps every consumer from resuming.
 */
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '@monomyth/node';
import { describeError } from '@monomyth/node/adapter';
import { replyCodeOf } from './errors.js';

const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;

/** One declaration made again on a new connection, on its own: a refusal costs only itself. */
export interface RedeclareStep {
  readonly what: string;
  readonly run: (channel: Channel, model: ChannelModel) => Promise<unknown>;
}

/**
 * A reply code the broker closes a channel with (403 access refused, 404 not found or its node down, 405 locked, 406
 * inequivalent arguments), as opposed to the 3xx and 5xx that close the connection.
 */
export function isChannelRefusal(error: unknown): boolean {
  const code = replyCodeOf(error);
  return code !== undefined && code >= 400 && code < 500;
}

export class RefusedDeclarations {
  private steps: RedeclareStep[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delayMs = MIN_DELAY_MS;

  constructor(
    private readonly logger: Logger,
    /** Runs a step on the admin channel (which waits out a lost connection). */
    private readonly run: (step: RedeclareStep) => Promise<unknown>,
    /** True once the adapter closed or gave up: no more tries. */
    private readonly over: () => boolean,
  ) {}

  /** Forgets every step and stops trying (a new connection starts over, or the adapter closes). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.steps = [];
    this.delayMs = MIN_DELAY_MS;
  }

  /** Tries `steps` again later. */
  retry(steps: RedeclareStep[]): void {
    this.clear();
    if (steps.length === 0) return;
    this.steps = steps;
    this.schedule();
  }

  private schedule(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(MAX_DELAY_MS, delay * 2);
    this.timer = setTimeout(() => void this.tryAgain(), delay);
    this.timer.unref();
  }

  private async tryAgain(): Promise<void> {
    this.timer = undefined;
    const steps = this.steps;
    const still: RedeclareStep[] = [];
    for (const step of steps) {
      if (this.over()) return;
      try {
        await this.run(step);
      } catch (error) {
        still.push(step);
        this.logger.debug({ error: describeError(error) }, `could not ${step.what} yet`);
      }
    }
    // A new connection meanwhile started over with its own list.
    if (this.steps !== steps) return;
    this.steps = still;
    if (still.length === 0) {
      this.logger.info('declared again what the new connection could not');
      return;
    }
    if (!this.over()) this.schedule();
  }
}
