import { describe, expect, it } from 'vitest';
import { DEFAULT_MASTER_ENDPOINT, InvalidOptionError } from '@monomyth/mmop';
import { defineNode, defineSystem } from '@monomyth/node';
import type { StreamAdapter } from '@monomyth/node';
import { DEFAULT_RESTART_POLICY, compileWorkerOptions } from './options.js';
import type { WorkerOptions } from './options.js';

const system = defineSystem({
  name: 'options-test',
  nodes: [defineNode({ name: 'N', transform: (value: unknown) => value })],
});
// Compiling options only checks that an adapter is given; nothing is called on it.
const adapter = {} as StreamAdapter;

function refusal(options: Partial<WorkerOptions>): InvalidOptionError {
  try {
    compileWorkerOptions({ system, adapter, ...options });
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('worker options', () => {
  it('compileWorkerOptions - without a master it uses DEFAULT_MASTER_ENDPOINT; MONOMYTH_MASTER is for the apps to read', () => {
    const saved = process.env.MONOMYTH_MASTER;
    process.env.MONOMYTH_MASTER = 'tcp://192.0.2.1:1';
    try {
      expect(compileWorkerOptions({ system, adapter }).master).toBe(DEFAULT_MASTER_ENDPOINT);
    } finally {
      if (saved === undefined) delete process.env.MONOMYTH_MASTER;
      else process.env.MONOMYTH_MASTER = saved;
    }
  });

  it('compileWorkerOptions - restart fields left undefined take the policy default', () => {
    const compiled = compileWorkerOptions({
      system,
      adapter,
      restart: { maxRestarts: 2, windowMs: undefined },
    });
    expect(compiled.restart).toEqual({ ...DEFAULT_RESTART_POLICY, maxRestarts: 2 });
  });

  it('compileWorkerOptions - a bad option is an InvalidOptionError of the worker, naming the option', () => {
    const cases: [Partial<WorkerOptions>, string, RegExp][] = [
      [{ capacity: 0 }, 'capacity', /whole number >= 1, got 0/],
      [{ drainTimeoutMs: -5 }, 'drainTimeoutMs', /got -5/],
      [{ restart: { windowMs: 0 } }, 'restart.windowMs', /from 1 to/],
      [{ master: 'localhost:5555' }, 'master', /expected a ZeroMQ endpoint/],
      [{ id: '' }, 'id', /1 to 255 characters/],
      [{ masterKey: 'x'.repeat(40) }, 'curveSecretKey', /needs the worker's own/],
      [{ system: undefined }, 'system', /needs the system/],
    ];
    for (const [options, option, reason] of cases) {
      const error = refusal(options);
      expect(error).toMatchObject({ component: 'worker', option });
      expect(error.message).toMatch(new RegExp(`^invalid worker option ${option}: `));
      expect(error.reason).toMatch(reason);
    }
  });
});
