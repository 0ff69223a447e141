import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '@monomyth/mmop';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, compileMasterOptions } from './options.js';
import type { MasterOptions } from './options.js';

function refusal(options: MasterOptions): InvalidOptionError {
  try {
    compileMasterOptions(options);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('master options', () => {
  it('compileMasterOptions - fills the defaults from their constants', () => {
    expect(compileMasterOptions().heartbeatIntervalMs).toBe(DEFAULT_HEARTBEAT_INTERVAL_MS);
    // Counters in every heartbeat unless asked otherwise, at whatever interval heartbeats go.
    expect(compileMasterOptions().countersIntervalMs).toBe(DEFAULT_HEARTBEAT_INTERVAL_MS);
    expect(compileMasterOptions({ heartbeatIntervalMs: 250 }).countersIntervalMs).toBe(250);
  });

  it('compileMasterOptions - a bad option is an InvalidOptionError of the master, naming the option', () => {
    const cases: [MasterOptions, string, RegExp][] = [
      [{ bind: '127.0.0.1:5555' }, 'bind', /expected a ZeroMQ endpoint/],
      [{ heartbeatMisses: 0 }, 'heartbeatMisses', /whole number >= 1, got 0/],
      [{ heartbeatIntervalMs: 1.5 }, 'heartbeatIntervalMs', /whole milliseconds/],
      [{ drainTimeoutMs: -1 }, 'drainTimeoutMs', /got -1/],
      // Node would fire a longer timer at once.
      [{ startTimeoutMs: 2 ** 31 }, 'startTimeoutMs', /to 2147483647/],
      [{ stallLimitMs: 3000 }, 'stallLimitMs', /liveness window/],
      [{ countersIntervalMs: 500 }, 'countersIntervalMs', /at least the heartbeat interval/],
      [{ workersKeysDir: '/tmp' }, 'workersKeysDir', /CURVE on/],
    ];
    for (const [options, option, reason] of cases) {
      const error = refusal(options);
      expect(error).toMatchObject({ component: 'master', option, code: 'INVALID_OPTION' });
      expect(error.message).toMatch(new RegExp(`^invalid master option ${option}: `));
      expect(error.reason).toMatch(reason);
    }
  });
});
