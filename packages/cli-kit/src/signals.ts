/**
 * Two-stage shutdown for the long-running commands: the first SIGTERM or SIGINT starts a graceful stop (nodes drain,
 * messages are settled); a second SIGINT (an impatient Ctrl-C) exits at once with `EXIT_INTERRUPTED`, leaving
 * unacknowledged messages to go back to their queues. Only the apps install signal handlers; libraries never do.
 */
import { EXIT_INTERRUPTED } from './usage.js';

/** The two log calls made here, in pino's shape. */
export interface SignalLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface ShutdownSignalsOptions {
  readonly logger: SignalLogger;
  /**
   * Starts the graceful stop. Called on the first signal and again on each later SIGTERM, so it must be idempotent
   * (`close()` is).
   */
  readonly drain: (signal: NodeJS.Signals) => void;
  /** The line logged on the first signal. @default 'shutting down' */
  readonly message?: string;
  /** More fields for that line (the drain timeout, say). */
  readonly fields?: object;
  /** The line logged when a second SIGINT exits. @default 'second interrupt: exiting now' */
  readonly exitMessage?: string;
}

/** Installs the handlers; returns a function that removes them. */
export function handleShutdownSignals(options: ShutdownSignalsOptions): () => void {
  const { logger, drain, fields } = options;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1 && signal === 'SIGINT') {
      logger.warn({ signal }, options.exitMessage ?? 'second interrupt: exiting now');
      process.exit(EXIT_INTERRUPTED);
    }
    logger.info({ signal, ...fields }, options.message ?? 'shutting down');
    drain(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
