/**
 * Type-level checks: this file is type-checked with the rest (tsconfig.check.json); a `@ts-expect-error` that stops
 * failing is itself an error. The runtime assertions only keep vitest happy.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineNode, defineSystem, type OutputOf, type TransformContext } from '../src/index.js';

describe('types along the chain', () => {
  it('types - a chained node must take what the node before it emits', () => {
    const ok = () =>
      defineSystem({
        name: 'ok',
        nodes: [
          { name: 'A', transform: (s: string) => s.length },
          { name: 'B', transform: (n: number) => [String(n), 'x'] },
          { name: 'C', transform: (s: string) => ({ s }) },
        ],
      });

    const bad = () =>
      defineSystem({
        name: 'bad',
        nodes: [
          { name: 'A', transform: (s: string) => s.length },
          // @ts-expect-error B takes a string, but A emits numbers
          { name: 'B', transform: (s: string) => s },
        ],
      });

    const explicit = () =>
      defineSystem({
        name: 'explicit',
        nodes: [
          { name: 'A', dest: 'elsewhere', transform: (s: string) => s.length },
          { name: 'B', source: 'other', transform: (s: string) => s },
        ],
      });

    expect([ok, bad, explicit].every((f) => typeof f === 'function')).toBe(true);
  });

  it('types - defineNode infers input, output and route keys', () => {
    const node = defineNode({
      name: 'P',
      dest: { even: 'evens', odd: 'odds' },
      route: (n) => (n % 2 === 0 ? 'even' : 'odd'),
      transform: (s: string, ctx: TransformContext) => s.length + ctx.attempt,
    });
    expectTypeOf<OutputOf<typeof node>>().toEqualTypeOf<number>();

    defineNode({
      name: 'Q',
      dest: { even: 'evens' },
      // @ts-expect-error 'odd' is not a named destination
      route: () => 'odd',
      transform: (s: string) => s,
    });

    const generator = defineNode({
      name: 'G',
      async *generate() {
        yield 1;
      },
    });
    expectTypeOf<OutputOf<typeof generator>>().toEqualTypeOf<number>();
    expect([node.name, generator.name]).toEqual(['P', 'G']);
  });

  it('types - fan-out arrays and filters emit their elements', () => {
    const fan = { name: 'F', transform: (s: string) => (s ? s.split('') : undefined) };
    expectTypeOf<OutputOf<typeof fan>>().toEqualTypeOf<string>();
    const asyncFan = { name: 'F', transform: async (n: number) => [n, n] };
    expectTypeOf<OutputOf<typeof asyncFan>>().toEqualTypeOf<number>();
    expect([fan.name, asyncFan.name]).toEqual(['F', 'F']);
  });
});
