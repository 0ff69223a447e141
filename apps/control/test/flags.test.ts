/**
 * The three commands read their flags through @monomyth/cli-kit: a value the option behind it would refuse is a usage
 * error (exit 2) naming the flag, before anything starts; what only the library can check (options that do not fit
 * together, a worker id) is exit 2 with the InvalidOptionError's one line.
 */
import { describe, expect, it } from 'vitest';
import { FOUR_STAGE_SYSTEM, run } from './processes.js';

describe('flags', () => {
  it.each([
    [
      'master',
      ['--heartbeat-misses', '0'],
      "option '--heartbeat-misses <n>' argument '0' is invalid. must be a whole number >= 1, got 0",
    ],
    ['master', ['--heartbeat-ms', '1e3'], 'got "1e3"'],
    ['master', ['--bind', '127.0.0.1:5555'], 'expected a ZeroMQ endpoint'],
    [
      'master',
      ['--bind', 'tcp://127.0.0.1:*', '--stall-limit-ms', '3000'],
      'monomyth-master: invalid master option stallLimitMs: must be longer than the liveness window',
    ],
    ['worker', ['--system', FOUR_STAGE_SYSTEM, '--memory', '--capacity', ''], 'got ""'],
    ['worker', ['--system', FOUR_STAGE_SYSTEM, '--memory', '--master', 'nope'], 'ZeroMQ endpoint'],
    [
      'worker',
      ['--system', FOUR_STAGE_SYSTEM, '--memory', '--name', ''],
      'monomyth-worker: invalid worker option id: must be 1 to 255 characters',
    ],
    ['control', ['start', 'T', '-n', '0'], 'must be a whole number from 1 to 10000, got 0'],
    ['control', ['--timeout-ms', '2147483648', 'ping'], 'whole milliseconds from 0 to 2147483647'],
  ] as const)('%s %j - exit 2, naming the flag or the option', async (app, args, message) => {
    const result = await run(app, args);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
