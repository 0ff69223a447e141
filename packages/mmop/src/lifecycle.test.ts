import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, Lifecycle } from './lifecycle.js';
import type { LifecycleLogLevel } from './lifecycle.js';

type S = 'idle' | 'running' | 'stopped' | 'failed';

function lifecycle() {
  const lines: { level: LifecycleLogLevel; fields: Record<string, unknown>; msg: string }[] = [];
  const life = new Lifecycle<S>({
    component: 'thing',
    initial: 'idle',
    transitions: {
      idle: ['running', 'stopped'],
      running: ['stopped', 'failed'],
      stopped: [],
      failed: [],
    },
    log: (level, fields, msg) => lines.push({ level, fields, msg }),
  });
  return { life, lines };
}

describe('Lifecycle', () => {
  it('transitions - moves along the table and logs each move with its fields', () => {
    const { life, lines } = lifecycle();
    expect(life.state).toBe('idle');
    life.to('running');
    life.to('stopped', { reason: 'done' });
    expect(life.state).toBe('stopped');
    expect(lines).toEqual([
      {
        level: 'debug',
        fields: { component: 'thing', from: 'idle', to: 'running' },
        msg: 'thing idle -> running',
      },
      {
        level: 'debug',
        fields: { reason: 'done', component: 'thing', from: 'running', to: 'stopped' },
        msg: 'thing running -> stopped',
      },
    ]);
  });

  it('illegal transition - throws IllegalTransitionError naming both states, and the state stays', () => {
    const { life, lines } = lifecycle();
    life.to('stopped');
    const error = (() => {
      try {
        life.to('running');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ component: 'thing', from: 'stopped', to: 'running' });
    expect((error as Error).message).toBe('thing: cannot go from stopped to running');
    expect(life.state).toBe('stopped');
    expect(lines).toHaveLength(1);
  });

  it('move - returns false instead of throwing, and does not log', () => {
    const { life, lines } = lifecycle();
    expect(life.move('failed')).toBe(false);
    expect(life.state).toBe('idle');
    expect(lines).toHaveLength(0);
    expect(life.move('running')).toBe(true);
    expect(life.state).toBe('running');
  });

  it('same state - a no-op, not logged, allowed even from a terminal state', () => {
    const { life, lines } = lifecycle();
    life.to('stopped');
    life.to('stopped');
    expect(lines).toHaveLength(1);
    expect(life.can('stopped')).toBe(true);
    expect(life.can('running')).toBe(false);
  });

  it('failed - logged at error', () => {
    const { life, lines } = lifecycle();
    life.to('running');
    life.to('failed', { err: 'socket closed' });
    expect(lines.at(-1)?.level).toBe('error');
    expect(lines.at(-1)?.fields.err).toBe('socket closed');
  });

  it('is - reads the state anew each call', () => {
    const { life } = lifecycle();
    expect(life.is('idle')).toBe(true);
    life.to('running');
    expect(life.is('idle', 'stopped')).toBe(false);
    expect(life.is('running', 'stopped')).toBe(true);
  });
});
