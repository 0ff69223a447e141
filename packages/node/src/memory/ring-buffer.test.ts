import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

describe('ring buffer', () => {
  it('ring - keeps order through growth, wrap-around and pushes at the front', () => {
    const ring = new RingBuffer<number>(8);
    const model: number[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 7 === 3) {
        ring.unshift(-i);
        model.unshift(-i);
      } else if (i % 3 === 0) {
        expect(ring.shift()).toBe(model.shift());
      } else {
        ring.push(i);
        model.push(i);
      }
      expect(ring.length).toBe(model.length);
    }
    expect(ring.drain()).toEqual(model);
    expect(ring.shift()).toBeUndefined();
  });
});
