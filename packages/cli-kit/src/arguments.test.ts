import { Command, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { durationArgument, endpointArgument, wholeNumberArgument } from './arguments.js';

/** Parses `args` with one flag and returns its value, or the message commander would print. */
function parse(flag: string, parser: (text: string) => unknown, args: string[]): unknown {
  let message: string | undefined;
  const program = new Command('test')
    .option(flag, 'the flag', parser)
    .exitOverride()
    .configureOutput({ writeErr: (text) => (message = text), writeOut: () => {} });
  try {
    program.parse(args, { from: 'user' });
  } catch {
    return message?.trim();
  }
  return Object.values(program.opts())[0];
}

describe('flag values', () => {
  it('wholeNumberArgument - digits within the bounds; anything Number() would stretch is refused', () => {
    const capacity = wholeNumberArgument({ min: 1, max: 10_000 });
    expect(capacity('64')).toBe(64);
    expect(capacity('10_000')).toBe(10_000);
    for (const bad of ['0', '10001', '', ' 5', '1e3', '0x10', '2.0', '-1', 'many']) {
      expect(() => capacity(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => capacity('many')).toThrow('must be a whole number from 1 to 10000, got "many"');
  });

  it('durationArgument - whole milliseconds, within the longest timer', () => {
    expect(durationArgument()('0')).toBe(0);
    expect(() => durationArgument({ min: 1 })('0')).toThrow(/from 1 to 2147483647, got 0/);
    expect(() => durationArgument()('2147483648')).toThrow(InvalidArgumentError);
    expect(() => durationArgument()('1.5')).toThrow(/got "1.5"/);
  });

  it('endpointArgument - the endpoints MMOP can use', () => {
    expect(endpointArgument('tcp://127.0.0.1:5555')).toBe('tcp://127.0.0.1:5555');
    expect(() => endpointArgument('127.0.0.1:5555')).toThrow(/expected a ZeroMQ endpoint/);
  });

  it('commander - a refused value is a usage error naming the flag', () => {
    expect(parse('--capacity <n>', wholeNumberArgument({ min: 1 }), ['--capacity', '8'])).toBe(8);
    expect(parse('--capacity <n>', wholeNumberArgument({ min: 1 }), ['--capacity', '0'])).toBe(
      "error: option '--capacity <n>' argument '0' is invalid. must be a whole number >= 1, got 0",
    );
    expect(parse('--master <endpoint>', endpointArgument, ['--master', 'h:1'])).toMatch(
      /^error: option '--master <endpoint>' argument 'h:1' is invalid\. expected a ZeroMQ endpoint/,
    );
  });
});
