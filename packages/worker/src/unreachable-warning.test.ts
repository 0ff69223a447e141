import { describe, expect, it } from 'vitest';
import { UnreachableWarning } from './unreachable-warning.js';

describe('UnreachableWarning', () => {
  it('warns at the first failure, then at most every period, with how long READY has found no master', () => {
    const said: number[] = [];
    const warning = new UnreachableWarning(30_000, (forMs) => said.push(forMs));
    expect(warning.active).toBe(false);
    warning.failed(new Error('no connection'), 1_000);
    expect(warning.active).toBe(true);
    for (let now = 2_000; now < 31_000; now += 1_000) warning.failed(new Error('again'), now);
    expect(said).toEqual([0]);
    warning.failed(new Error('still'), 31_000);
    expect(said).toEqual([0, 30_000]);
  });

  it('once READY goes out, the next failure is new: said at once, counted from then', () => {
    const said: number[] = [];
    const warning = new UnreachableWarning(30_000, (forMs) => said.push(forMs));
    warning.failed(new Error('no connection'), 1_000);
    warning.reached();
    expect(warning.active).toBe(false);
    warning.failed(new Error('gone again'), 5_000);
    expect(said).toEqual([0, 0]);
  });
});
