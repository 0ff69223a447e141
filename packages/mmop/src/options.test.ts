import { describe, expect, it } from 'vitest';
import { MonomythError } from './monomyth-error.js';
import {
  InvalidOptionError,
  MAX_TIMER_MS,
  OptionChecker,
  describeValue,
  durationProblem,
  endpointProblem,
  numberProblem,
  oneOfProblem,
  parseWholeNumber,
  wholeNumberProblem,
} from './options.js';

describe('options kit', () => {
  it('InvalidOptionError - carries the component, the option and the reason, and says all three', () => {
    const error = new InvalidOptionError(
      'worker',
      'capacity',
      'must be a whole number >= 1, got 0',
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toBeInstanceOf(MonomythError);
    expect(error).toMatchObject({
      name: 'InvalidOptionError',
      code: 'INVALID_OPTION',
      component: 'worker',
      option: 'capacity',
      reason: 'must be a whole number >= 1, got 0',
      message: 'invalid worker option capacity: must be a whole number >= 1, got 0',
    });
    expect(new MonomythError('other')).not.toBeInstanceOf(InvalidOptionError);
  });

  it('wholeNumberProblem - refuses fractions, NaN, strings, and values out of bounds', () => {
    for (const good of [0, 1, 64, Number.MAX_SAFE_INTEGER])
      expect(wholeNumberProblem(good, { min: 0 })).toBeUndefined();
    expect(wholeNumberProblem(1.5, { min: 1 })).toBe('must be a whole number >= 1, got 1.5');
    expect(wholeNumberProblem(0, { min: 1, max: 10 })).toBe(
      'must be a whole number from 1 to 10, got 0',
    );
    expect(wholeNumberProblem(11, { min: 1, max: 10 })).toMatch(/from 1 to 10, got 11/);
    expect(wholeNumberProblem(Number.NaN, { min: 0 })).toMatch(/got NaN/);
    expect(wholeNumberProblem('5', { min: 0 })).toMatch(/got "5"/);
    expect(wholeNumberProblem(undefined)).toMatch(/got undefined/);
    // Infinity means "no limit" only where the bounds say so.
    expect(wholeNumberProblem(Number.POSITIVE_INFINITY, { min: 0 })).toBeUndefined();
    expect(wholeNumberProblem(Number.POSITIVE_INFINITY, { min: 0, max: 100 })).toBeDefined();
  });

  it('numberProblem - takes fractions within bounds, never NaN', () => {
    expect(numberProblem(0.2, { min: 0, max: 1 })).toBeUndefined();
    expect(numberProblem(1.01, { min: 0, max: 1 })).toBe('must be a number from 0 to 1, got 1.01');
    expect(numberProblem(Number.NaN)).toMatch(/got NaN/);
    expect(numberProblem(null)).toMatch(/got null/);
  });

  it('durationProblem - whole milliseconds from 0 to the longest timer by default', () => {
    expect(durationProblem(0)).toBeUndefined();
    expect(durationProblem(MAX_TIMER_MS)).toBeUndefined();
    // Node would fire a longer timer after 1 ms.
    expect(durationProblem(MAX_TIMER_MS + 1)).toBe(
      `must be a duration in whole milliseconds from 0 to ${MAX_TIMER_MS}, got ${MAX_TIMER_MS + 1}`,
    );
    expect(durationProblem(-1)).toMatch(/got -1/);
    expect(durationProblem(2.5)).toMatch(/whole milliseconds/);
    expect(durationProblem(2.5, { whole: false })).toBeUndefined();
    expect(durationProblem(Number.POSITIVE_INFINITY)).toBeDefined();
    expect(durationProblem(Number.POSITIVE_INFINITY, { max: Number.POSITIVE_INFINITY })).toBe(
      undefined,
    );
    expect(durationProblem(0, { min: 1 })).toMatch(/from 1 to/);
  });

  it('endpointProblem - takes tcp, ipc and inproc endpoints only', () => {
    for (const good of ['tcp://127.0.0.1:5555', 'tcp://*:5555', 'ipc:///tmp/m', 'inproc://m'])
      expect(endpointProblem(good)).toBeUndefined();
    for (const bad of ['127.0.0.1:5555', 'http://h:1', 'tcp://', '', 5555])
      expect(endpointProblem(bad)).toMatch(/expected a ZeroMQ endpoint such as tcp:\/\//);
    expect(endpointProblem('udp://h:1')).toMatch(/got "udp:\/\/h:1"$/);
  });

  it('oneOfProblem - lists the choices', () => {
    expect(oneOfProblem('quorum', ['quorum', 'classic'])).toBeUndefined();
    expect(oneOfProblem('stream', ['quorum', 'classic'])).toBe(
      'must be "quorum" or "classic", got "stream"',
    );
  });

  it('parseWholeNumber - digits only, where Number() would take blanks, hex and exponents', () => {
    expect(parseWholeNumber('42')).toBe(42);
    expect(parseWholeNumber('30_000')).toBe(30_000);
    for (const bad of ['', ' 5', '5 ', '0x10', '1e3', '2.0', '-1', '+1', '_1', '1__0'])
      expect(parseWholeNumber(bad)).toBeNaN();
  });

  it('describeValue - short, and never the contents of objects', () => {
    expect(describeValue('x'.repeat(100))).toHaveLength(62);
    expect(describeValue({ password: 'secret' })).toBe('an object');
    expect(describeValue([1])).toBe('an array');
    expect(describeValue(10n)).toBe('10n');
  });

  it('OptionChecker - returns checked values and throws the component error naming the option', () => {
    const check = new OptionChecker('master');
    expect(check.wholeNumber('heartbeatMisses', 3, { min: 1 })).toBe(3);
    expect(check.duration('stallLimitMs', 300_000)).toBe(300_000);
    expect(check.endpoint('bind', 'tcp://127.0.0.1:1')).toBe('tcp://127.0.0.1:1');
    expect(check.oneOf('queueType', 'classic', ['quorum', 'classic'])).toBe('classic');
    expect(check.boolean('insecure', false)).toBe(false);
    expect(check.text('name', 'a')).toBe('a');
    const refusals: [() => unknown, string][] = [
      [() => check.wholeNumber('heartbeatMisses', 0, { min: 1 }), 'heartbeatMisses'],
      [() => check.number('jitter', 2, { min: 0, max: 1 }), 'jitter'],
      [() => check.duration('drainTimeoutMs', -1), 'drainTimeoutMs'],
      [() => check.endpoint('bind', 'localhost'), 'bind'],
      [() => check.oneOf('queueType', 'x', ['quorum']), 'queueType'],
      [() => check.boolean('insecure', 'yes'), 'insecure'],
      [() => check.text('name', ''), 'name'],
      [() => check.fail('curveSecretKey', 'needs workersKeysDir'), 'curveSecretKey'],
    ];
    for (const [act, option] of refusals) {
      let thrown: unknown;
      try {
        act();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidOptionError);
      expect(thrown).toMatchObject({ component: 'master', option });
      expect((thrown as Error).message).toMatch(new RegExp(`^invalid master option ${option}: `));
    }
  });

  it('OptionChecker - throws the error its owner makes, for more context', () => {
    class InvalidThingError extends InvalidOptionError {
      constructor(
        readonly thing: string,
        option: string,
        reason: string,
      ) {
        super('thing', option, reason);
      }
    }
    const check = new OptionChecker(
      'thing',
      (option, reason) => new InvalidThingError('t1', option, reason),
    );
    expect(() => check.wholeNumber('size', -1, { min: 0 })).toThrow(InvalidThingError);
    expect(() => check.wholeNumber('size', -1, { min: 0 })).toThrow(InvalidOptionError);
  });
});
