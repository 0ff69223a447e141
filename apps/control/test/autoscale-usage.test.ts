/**
 * `monomyth autoscale` and `monomyth rate-limit`: their usage contract, on the built command. Flags that do not make a
 * policy or a limit are one line and exit 2 before any master is asked; a policy for a type no worker offers is the
 * master's refusal, exit 1; a master that is not there is exit 3.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@monomyth/testing';
import { Processes, run } from './processes.js';

const processes = new Processes();
afterEach(() => processes.killAll());

/** An address where nothing listens: usage errors must be found before it is tried. */
const NOBODY = 'tcp://127.0.0.1:9';

describe('autoscale usage', () => {
  it.each([
    [
      ['autoscale', 'A', '--max', '4'],
      'error: autoscale needs --max and --target-backlog (or --off)',
    ],
    [
      ['autoscale', 'A', '--off', '--max', '4'],
      'error: --off takes no policy figures (--min, --max, --target-backlog, ...)',
    ],
    [
      ['autoscale', 'A', '--min', '5', '--max', '2', '--target-backlog', '10'],
      'error: --max is 2, below min 5',
    ],
    [
      ['autoscale', 'A', '--max', '0', '--target-backlog', '10'],
      'error: --max must be a whole number from 1 to 10000, got 0',
    ],
    [['rate-limit', 'A'], 'error: rate-limit needs messages a second (or --off)'],
    [['rate-limit', 'A', '5', '--off'], 'error: --off takes no rate (per-second, --burst)'],
  ])('bad flags - %j exits 2 with one line', async (args, line) => {
    const result = await run('control', ['--master', NOBODY, ...args]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trimEnd()).toBe(line);
  });

  it('bad values - a target backlog of 0 or a negative wait is refused by the flag parser, exit 2', async () => {
    for (const args of [
      ['autoscale', 'A', '--max', '4', '--target-backlog', '0'],
      ['autoscale', 'A', '--max', '4', '--target-backlog', '10', '--up-after-ms', '-1'],
      ['rate-limit', 'A', '0'],
      ['rate-limit', 'A', 'fast'],
      ['rate-limit', 'A', '10', '--burst', '-1'],
    ]) {
      const result = await run('control', ['--master', NOBODY, ...args]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        /^error: (option '--(target-backlog|up-after-ms|burst) |command-argument value '\S+' is invalid for argument 'per-second')/,
      );
    }
  });

  it('master answers - an unknown type is exit 1 with the reason and code; no master is exit 3', async () => {
    const { master } = await processes.startMaster();
    const refused = await run('control', [
      '--master',
      master,
      'autoscale',
      'NOPE',
      '--max',
      '4',
      '--target-backlog',
      '10',
    ]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('no worker offers node type NOPE');
    expect(refused.stderr).toContain('(400 UNKNOWN_TYPE)');
    const port = await freePort();
    const unreachable = await run('control', [
      '--master',
      `tcp://127.0.0.1:${port}`,
      '--timeout-ms',
      '300',
      'autoscale',
      'A',
      '--off',
    ]);
    expect(unreachable.code, unreachable.stderr).toBe(3);
  });
});
