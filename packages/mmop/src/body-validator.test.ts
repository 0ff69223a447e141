import { describe, expect, it } from 'vitest';
import { pointerToPath } from './body-validator.js';

describe('body validator', () => {
  it('pointerToPath - JSON pointers become field paths that read like code', () => {
    expect(pointerToPath('')).toBe('');
    expect(pointerToPath('/count')).toBe('count');
    expect(pointerToPath('/nodes/2/processed')).toBe('nodes[2].processed');
    expect(pointerToPath('/recipes/0/a~1b/1')).toBe('recipes[0].a/b[1]');
  });
});
