/**
 * The logger every Monomyth library writes to: the master, workers, nodes and adapters. Its shape is pino's, so a
 * pino logger passes as is; the default writes nothing. Library code never logs to the console. It lives here, in the
 * lowest layer, so that a package can take a logger without loading the data plane (the master does not load
 * @monomyth/node).
 */

/** pino's call shapes: an object of fields and a message, or a message alone. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every line (a node adds its type and name). */
  child(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFn = () => {};

/** Writes nothing; its children write nothing. */
export const noopLogger: Logger = Object.freeze({
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => noopLogger,
});
