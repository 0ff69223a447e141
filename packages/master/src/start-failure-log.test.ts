import { describe, expect, it } from 'vitest';
import type { Logger } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { logStartFailure } from './start-failure-log.js';

describe('start failure log', () => {
  it('rate - 500 failures in a burst make at most 20 lines per master, each master counted apart', () => {
    const lines: string[] = [];
    const log = {
      warn: (_fields: unknown, message?: string) => lines.push(message ?? ''),
    } as unknown as Logger;
    const one = { log } as MasterContext;
    const other = { log } as MasterContext;
    for (let i = 0; i < 500; i++) logStartFailure(one, { workerId: `w${i}` });
    expect(lines).toHaveLength(20);
    expect(new Set(lines)).toEqual(new Set(['node failed to start']));
    logStartFailure(other, { workerId: 'x' });
    expect(lines).toHaveLength(21);
  });
});
