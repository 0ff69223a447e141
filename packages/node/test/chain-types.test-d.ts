/**
 * Types along the chain, checked by vitest's typecheck mode (nothing here runs): an unannotated transform parameter is
 * typed from the node before it, and a node that cannot take what the one before emits is a compile error at that node.
 * A `@ts-expect-error` that stops failing is itself an error.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  defineNode,
  defineSystem,
  type AnyNodeDefinition,
  type StandardSchemaV1,
  type System,
} from '../src/index.js';

/** A Standard Schema whose output is `T`: enough for the types (never validated here). */
declare function schemaOf<T>(): StandardSchemaV1<unknown, T>;

describe('chain types', () => {
  it('an unannotated transform gets the previous node output type', () => {
    defineSystem({
      name: 'inferred',
      nodes: [
        { name: 'A', transform: (line: string) => line.length },
        {
          name: 'B',
          transform: (n) => {
            expectTypeOf(n).toEqualTypeOf<number>();
            return [String(n), 'x']; // fan-out: each element is an output
          },
        },
        {
          name: 'C',
          transform: async (s, ctx) => {
            expectTypeOf(s).toEqualTypeOf<string>();
            expectTypeOf(ctx.attempt).toEqualTypeOf<number>();
            return s === '' ? undefined : { s }; // a filter: undefined drops the message
          },
        },
        {
          name: 'D',
          transform: (o) => {
            expectTypeOf(o).toEqualTypeOf<{ s: string }>();
            return o.s.toUpperCase();
          },
        },
        { name: 'E', transform: (s) => expectTypeOf(s).toEqualTypeOf<string>() },
      ],
    });
  });

  it('a node after a generator gets what it yields', () => {
    defineSystem({
      name: 'generated',
      nodes: [
        {
          name: 'TICK',
          async *generate() {
            yield { at: 1 };
          },
        },
        { name: 'STAMP', transform: (tick) => expectTypeOf(tick).toEqualTypeOf<{ at: number }>() },
      ],
    });
  });

  it('a mismatch is an error at the node that takes the wrong type', () => {
    defineSystem({
      name: 'annotated',
      nodes: [
        { name: 'A', transform: (s: string) => s.length },
        // @ts-expect-error B takes a string, but A emits numbers
        { name: 'B', transform: (s: string) => s },
      ],
    });

    defineSystem({
      name: 'unannotated',
      nodes: [
        { name: 'A', transform: (s: string) => s.length },
        // @ts-expect-error n is a number: it has no toUpperCase (it was any, and this compiled)
        { name: 'B', transform: (n) => n.toUpperCase() },
      ],
    });

    defineSystem({
      name: 'through an unannotated node',
      nodes: [
        { name: 'A', transform: (s: string) => (s === '' ? null : s) },
        { name: 'B', transform: (s) => s },
        // @ts-expect-error B passes on string | null: C must take null too
        { name: 'C', transform: (s: string) => s },
      ],
    });

    defineSystem({
      name: 'after a generator',
      nodes: [
        {
          name: 'COUNT',
          *generate() {
            yield 1;
          },
        },
        // @ts-expect-error COUNT yields numbers
        { name: 'NAME', transform: (s: string) => s },
      ],
    });
  });

  it('a route gets what its node emits', () => {
    defineSystem({
      name: 'routed',
      nodes: [
        { name: 'A', transform: (s: string) => s.length },
        {
          name: 'B',
          dest: { even: 'evens', odd: 'odds' },
          transform: (n) => n * 2,
          route: (n) => {
            expectTypeOf(n).toEqualTypeOf<number>();
            return n % 4 === 0 ? 'even' : 'odd';
          },
        },
      ],
    });
  });

  it('a wider parameter is fine: a node may take more than it is given', () => {
    defineSystem({
      name: 'wider',
      nodes: [
        { name: 'A', transform: (s: string) => (s === 'a' ? 'a' : 'b') },
        { name: 'B', transform: (s: string | number) => String(s) },
      ],
    });
  });

  it('the first node, and a node with its own source, read queues the chain does not type', () => {
    defineSystem({
      name: 'unknown inputs',
      nodes: [
        { name: 'A', dest: 'elsewhere', transform: (input) => expectTypeOf(input).toBeUnknown() },
        { name: 'B', source: 'other', transform: (input) => expectTypeOf(input).toBeUnknown() },
      ],
    });

    defineSystem({
      name: 'explicit source',
      nodes: [
        { name: 'A', dest: 'elsewhere', transform: (s: string) => s.length },
        { name: 'B', source: 'other', transform: (s: string) => s },
      ],
    });

    defineSystem({
      name: 'untyped first node',
      nodes: [
        { name: 'A', transform: (input) => input },
        // @ts-expect-error A emits what it was given: unknown, not a string
        { name: 'B', transform: (s: string) => s },
      ],
    });
  });

  it('an input schema types the parameter, and the previous output must still fit it', () => {
    defineSystem({
      name: 'schema',
      nodes: [
        { name: 'A', transform: (sku: string) => ({ sku, qty: 1, note: 'x' }) },
        {
          name: 'PRICE',
          inputSchema: schemaOf<{ sku: string; qty: number }>(),
          transform: (order) => {
            expectTypeOf(order).toEqualTypeOf<{ sku: string; qty: number }>();
            return order.qty * 2;
          },
        },
      ],
    });

    defineSystem({
      name: 'schema mismatch',
      nodes: [
        { name: 'A', transform: (s: string) => s.length },
        {
          name: 'PRICE',
          inputSchema: schemaOf<{ sku: string }>(),
          // @ts-expect-error A emits numbers, the schema's output is an object
          transform: (order: { sku: string }) => order.sku,
        },
      ],
    });
  });

  it('definitions typed by defineNode are checked in a chain', () => {
    const length = defineNode({ name: 'LENGTH', transform: (s: string) => s.length });
    const shout = defineNode({ name: 'SHOUT', transform: (s: string) => s.toUpperCase() });
    const double = defineNode({ name: 'DOUBLE', transform: (n: number) => n * 2 });

    expectTypeOf(defineSystem({ name: 'ok', nodes: [length, double] })).toEqualTypeOf<System>();
    // @ts-expect-error SHOUT takes strings, LENGTH emits numbers
    defineSystem({ name: 'bad', nodes: [length, shout] });
  });

  it('the first 16 nodes are typed; a longer list still compiles', () => {
    const step = (name: string) => ({ name, transform: (n: number) => n + 1 });
    defineSystem({
      name: 'long',
      nodes: [
        step('N1'),
        step('N2'),
        step('N3'),
        step('N4'),
        step('N5'),
        step('N6'),
        step('N7'),
        step('N8'),
        step('N9'),
        step('N10'),
        step('N11'),
        step('N12'),
        step('N13'),
        step('N14'),
        step('N15'),
        { name: 'N16', transform: (n) => expectTypeOf(n).toEqualTypeOf<number>() },
        { name: 'N17', transform: (s: string) => s }, // not checked: past the 16th
      ],
    });
  });

  it('lists built at run time are accepted, unchecked', () => {
    const shared: AnyNodeDefinition[] = [{ name: 'A', transform: (x: unknown) => x }];
    expectTypeOf(defineSystem({ name: 'built', nodes: shared })).toEqualTypeOf<System>();
    // A spread of such a list is no tuple: the places do not line up. Typed as a list, it goes through.
    const nodes: AnyNodeDefinition[] = [...shared, { name: 'B', transform: (s: string) => s }];
    expectTypeOf(defineSystem({ name: 'spread', nodes })).toEqualTypeOf<System>();
    // A tuple's spread keeps its places: still checked.
    const head = [{ name: 'C', transform: (s: string) => s.length }] as const;
    defineSystem({
      name: 'spread tuple',
      // @ts-expect-error C emits numbers
      nodes: [...head, { name: 'D', transform: (s: string) => s }],
    });
  });
});
