/**
 * The options kit: one way to check the options of every Monomyth component (master, worker, RabbitMQ adapter,
 * recipes, the commands' flags) and one error for a refused option.
 *
 * Each component compiles its options once (defaults filled in from its own `DEFAULT_*` constants, then checked)
 * with an `OptionChecker` named after it; a bad option throws an `InvalidOptionError` that names the component and
 * the option, so `invalid master option heartbeatMisses: must be a whole number >= 1, got 0` says where to look.
 *
 * The `*Problem` functions are the same rules without the error: they return why a value is refused, or undefined,
 * for callers that report it their own way (a command-line parser, a recipe's own error).
 */
import { MonomythError, brandError } from './monomyth-error.js';

/**
 * The longest delay Node's timers take: 2^31 - 1 ms (about 24.8 days). A longer one fires after 1 ms, with only a
 * warning, so a duration option above it would turn "very long" into "at once".
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** An option's value is missing, of the wrong type, out of range, or does not fit with another option. */
export class InvalidOptionError extends MonomythError {
  static {
    brandError(this, '@monomyth/mmop.InvalidOptionError');
  }

  readonly code: string = 'INVALID_OPTION';
  /** Whose option: `'master'`, `'worker'`, `'rmq'`, `'recipe'`, `'control'`, or a command's name. */
  readonly component: string;
  /** The option, as a path within the component's options (`heartbeatMisses`, `reconnect.maxDelayMs`, `--capacity`). */
  readonly option: string;
  /** What is wrong with the value, without the component and option names. */
  readonly reason: string;

  constructor(component: string, option: string, reason: string, options?: { cause?: unknown }) {
    super(`invalid ${component} option ${option}: ${reason}`, options);
    this.component = component;
    this.option = option;
    this.reason = reason;
  }
}

/** Bounds of a number option; both inclusive. */
export interface NumberBounds {
  /** @default 0 for durations, -Infinity otherwise */
  readonly min?: number;
  /** @default MAX_TIMER_MS for durations, Infinity otherwise (Infinity itself is then allowed) */
  readonly max?: number;
}

/** Bounds of a duration option, in milliseconds. */
export interface DurationBounds extends NumberBounds {
  /** Refuse fractions of a millisecond (durations sent in MMOP are whole). @default true */
  readonly whole?: boolean;
}

/** A value as an error message shows it: strings quoted (and cut at 60 characters), containers by their kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

function range(min: number, max: number): string {
  if (max === Number.POSITIVE_INFINITY) return `>= ${min}`;
  if (min === Number.NEGATIVE_INFINITY) return `<= ${max}`;
  return `from ${min} to ${max}`;
}

/** Why `value` is not a whole number within the bounds (Infinity passes only with an infinite `max`). */
export function wholeNumberProblem(value: unknown, bounds: NumberBounds = {}): string | undefined {
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = bounds;
  const ok =
    typeof value === 'number' &&
    (Number.isSafeInteger(value) || value === Number.POSITIVE_INFINITY) &&
    value >= min &&
    value <= max;
  return ok ? undefined : `must be a whole number ${range(min, max)}, got ${describeValue(value)}`;
}

/** Why `value` is not a number within the bounds (never NaN; Infinity passes only with an infinite `max`). */
export function numberProblem(value: unknown, bounds: NumberBounds = {}): string | undefined {
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = bounds;
  const ok = typeof value === 'number' && value >= min && value <= max; // NaN fails both comparisons
  return ok ? undefined : `must be a number ${range(min, max)}, got ${describeValue(value)}`;
}

/** Why `value` is not a duration in milliseconds within the bounds (by default 0 to `MAX_TIMER_MS`, whole). */
export function durationProblem(value: unknown, bounds: DurationBounds = {}): string | undefined {
  const { min = 0, max = MAX_TIMER_MS, whole = true } = bounds;
  const ok =
    typeof value === 'number' &&
    value >= min &&
    value <= max &&
    // Infinity is within the bounds only when `max` is Infinity: "no limit", said explicitly.
    ((whole ? Number.isSafeInteger(value) : Number.isFinite(value)) ||
      value === Number.POSITIVE_INFINITY);
  return ok
    ? undefined
    : `must be a duration in ${whole ? 'whole ' : ''}milliseconds ${range(min, max)}, got ${describeValue(value)}`;
}

/** The transports an MMOP endpoint may use. */
const ENDPOINT_PATTERN = /^(tcp|ipc|inproc):\/\/.+/;

/** Why `value` is not a ZeroMQ endpoint MMOP can use (`tcp://host:port`, `ipc://path`, `inproc://name`). */
export function endpointProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && ENDPOINT_PATTERN.test(value)) return undefined;
  return `expected a ZeroMQ endpoint such as tcp://127.0.0.1:5555 (or ipc://, inproc://), got ${describeValue(value)}`;
}

/** Why `value` is not one of `choices`. */
export function oneOfProblem(value: unknown, choices: readonly unknown[]): string | undefined {
  if (choices.includes(value)) return undefined;
  return `must be ${choices.map(describeValue).join(' or ')}, got ${describeValue(value)}`;
}

/**
 * Reads a command-line value as a whole number: digits only (with `_` between them allowed), so `''`, `' 5'`,
 * `'0x10'`, `'1e3'` and `'2.0'` are refused where `Number()` would take them. NaN for anything else.
 */
export function parseWholeNumber(text: string): number {
  return /^\d+(_\d+)*$/.test(text) ? Number(text.replaceAll('_', '')) : Number.NaN;
}

/**
 * Checks a component's options and throws an `InvalidOptionError` named after it. Every method returns the value
 * it checked, narrowed, so a compile step reads `const misses = check.wholeNumber('heartbeatMisses', given ?? DEFAULT, { min: 1 })`.
 */
export class OptionChecker {
  readonly component: string;
  readonly #error: (option: string, reason: string) => InvalidOptionError;

  /**
   * @param makeError builds the error thrown (a subclass of `InvalidOptionError` with more context, say);
   * by default an `InvalidOptionError` of `component`.
   */
  constructor(
    component: string,
    makeError?: (option: string, reason: string) => InvalidOptionError,
  ) {
    this.component = component;
    this.#error =
      makeError ?? ((option, reason) => new InvalidOptionError(component, option, reason));
  }

  /** Throws the component's error for `option`. */
  fail(option: string, reason: string): never {
    throw this.#error(option, reason);
  }

  /** Throws when `problem` is a reason; returns `value` otherwise. */
  #pass<T>(option: string, value: unknown, problem: string | undefined): T {
    if (problem !== undefined) this.fail(option, problem);
    return value as T;
  }

  wholeNumber(option: string, value: unknown, bounds?: NumberBounds): number {
    return this.#pass(option, value, wholeNumberProblem(value, bounds));
  }

  number(option: string, value: unknown, bounds?: NumberBounds): number {
    return this.#pass(option, value, numberProblem(value, bounds));
  }

  duration(option: string, value: unknown, bounds?: DurationBounds): number {
    return this.#pass(option, value, durationProblem(value, bounds));
  }

  endpoint(option: string, value: unknown): string {
    return this.#pass(option, value, endpointProblem(value));
  }

  oneOf<const T>(option: string, value: unknown, choices: readonly T[]): T {
    return this.#pass(option, value, oneOfProblem(value, choices));
  }

  boolean(option: string, value: unknown): boolean {
    return this.#pass(option, value, oneOfProblem(value, [true, false]));
  }

  /** A non-empty string. */
  text(option: string, value: unknown): string {
    const ok = typeof value === 'string' && value.length > 0;
    return this.#pass(
      option,
      value,
      ok ? undefined : `must be a non-empty string, got ${describeValue(value)}`,
    );
  }
}
