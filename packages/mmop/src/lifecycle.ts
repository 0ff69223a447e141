/**
 * One lifecycle for Monomyth's long-lived objects (master, worker, node, stream adapter, control client): a state
 * held in one place, moved only along the transitions its owner declares, each move logged.
 *
 *   const life = new Lifecycle({
 *     component: 'worker',
 *     initial: 'registering',
 *     transitions: {
 *       registering: ['registered', 'draining', 'failed'],
 *       registered: ['registering', 'draining', 'failed'],
 *       draining: ['stopped', 'failed'],
 *       stopped: [],
 *       failed: [],
 *     },
 *     log: (level, fields, msg) => logger[level](fields, msg),
 *   });
 *   life.to('registered');            // logs { component, from: 'registering', to: 'registered' }
 *   life.to('registering');           // fine; life.to('stopped') from here throws IllegalTransitionError
 *   if (life.is('draining', 'stopped')) ...
 *
 * Why `is()` and not comparisons of `state`: TypeScript narrows `this.state` after a check and keeps the narrowing
 * across an `await`, so code that reads the state again after an await needed a cast (`(this.state as S) === ...`).
 * A method call is read anew each time.
 *
 * The convention every owner follows: `run()` (where it has one) resolves on a clean stop and rejects on a fatal
 * error; `close({ drainTimeoutMs, reason })` is idempotent; `state` ends in a terminal state (`stopped`/`closed`, or
 * `failed`). This package knows no logger: `log` is any `(level, fields, msg)` callback.
 */
import { MonomythError, brandError } from './monomyth-error.js';

export type LifecycleLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where a Lifecycle reports its transitions: a pino-like logger fits as `(level, fields, msg) => log[level](fields, msg)`. */
export type LifecycleLog = (
  level: LifecycleLogLevel,
  fields: Record<string, unknown>,
  msg: string,
) => void;

export interface LifecycleOptions<S extends string> {
  /** Named in log lines and errors: 'worker', 'master', 'rmq consumer', ... */
  readonly component: string;
  readonly initial: S;
  /** For each state, the states it may move to. A state with no entry in its list is terminal. */
  readonly transitions: { readonly [K in S]: readonly S[] };
  /** Reports each transition (at `debug`, or at `error` for a move to `failed`). @default no logging */
  readonly log?: LifecycleLog;
  /** The level of ordinary transitions. @default 'debug' */
  readonly level?: LifecycleLogLevel;
}

/** A move the owner's transition table does not allow: a call at the wrong time (e.g. `start()` after `close()`). */
export class IllegalTransitionError extends MonomythError {
  static {
    brandError(this, '@monomyth/mmop.IllegalTransitionError');
  }
  readonly component: string;
  readonly from: string;
  readonly to: string;

  constructor(component: string, from: string, to: string) {
    super(`${component}: cannot go from ${from} to ${to}`);
    this.component = component;
    this.from = from;
    this.to = to;
  }
}

export class Lifecycle<S extends string> {
  readonly #component: string;
  readonly #transitions: { readonly [K in S]: readonly S[] };
  readonly #log: LifecycleLog | undefined;
  readonly #level: LifecycleLogLevel;
  #state: S;

  constructor(options: LifecycleOptions<S>) {
    this.#component = options.component;
    this.#transitions = options.transitions;
    this.#log = options.log;
    this.#level = options.level ?? 'debug';
    this.#state = options.initial;
  }

  get state(): S {
    return this.#state;
  }

  /**
   * Whether the state is one of the states given, read now (see the header on why this beats comparing `state`). Up to
   * four, as plain parameters: no array per call, so it fits a loop that runs per batch.
   */
  is(a: S, b?: S, c?: S, d?: S): boolean {
    const state = this.#state;
    return state === a || state === b || state === c || state === d;
  }

  /** Whether the table allows a move from the current state to `next` (staying put counts as allowed). */
  can(next: S): boolean {
    return next === this.#state || this.#transitions[this.#state].includes(next);
  }

  /**
   * Moves to `next` and logs it, with `fields` (a reason, an error). Staying in the same state is a no-op. Throws
   * IllegalTransitionError for a move the table does not allow.
   */
  to(next: S, fields: Record<string, unknown> = {}): void {
    if (!this.move(next, fields))
      throw new IllegalTransitionError(this.#component, this.#state, next);
  }

  /** Like `to`, but returns false instead of throwing when the move is not allowed (e.g. already closed). */
  move(next: S, fields: Record<string, unknown> = {}): boolean {
    const from = this.#state;
    if (next === from) return true;
    if (!this.#transitions[from].includes(next)) return false;
    this.#state = next;
    this.#log?.(
      next === 'failed' ? 'error' : this.#level,
      { ...fields, component: this.#component, from, to: next },
      `${this.#component} ${from} -> ${next}`,
    );
    return true;
  }
}

/** What `close()` takes across Monomyth's long-lived objects. */
export interface CloseOptions {
  /** How long work in flight may take to finish before it is abandoned. @default the owner's drain timeout */
  readonly drainTimeoutMs?: number;
  /** Why: logged, and sent to peers where the protocol carries it (BYE, SHUTDOWN). */
  readonly reason?: string;
}
