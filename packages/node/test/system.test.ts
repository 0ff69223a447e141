import { encode, decode } from '@monomyth/mmop';
import { describe, expect, it } from 'vitest';
import {
  createNode,
  defaultBatchesInFlight,
  defaultMaxUnacked,
  defineNode,
  defineSystem,
  InvalidRecipeError,
  isSystem,
  RECIPE_LIMITS,
  SystemDefinitionError,
  UnknownNodeTypeError,
  type AnyNodeDefinition,
  type BodyCodec,
} from '../src/index.js';
import { MemoryStreamAdapter } from '../src/memory/index.js';

/** Calls defineSystem with a definition TypeScript would refuse, to check the checks made when it runs. */
function defineUnchecked(nodes: readonly unknown[], name = 'sys'): ReturnType<typeof defineSystem> {
  return defineSystem({ name, nodes: nodes as readonly AnyNodeDefinition[] } as never);
}

function refusal(nodes: readonly unknown[]): SystemDefinitionError {
  try {
    defineUnchecked(nodes);
  } catch (error) {
    if (error instanceof SystemDefinitionError) return error;
    throw error;
  }
  throw new Error('defineSystem accepted the definition');
}

const id = (v: unknown): unknown => v;

describe('defineSystem', () => {
  it('system - a linear list chains START-to-<a>, <a>-to-<b>, <b>-to-END with defaults filled in', () => {
    const system = defineSystem({
      name: 'words',
      nodes: [
        { name: 'SPLIT', transform: (s: string) => s.split(' ') },
        { name: 'COUNT', batchSize: 50, transform: (w: string) => w.length },
      ],
    });
    expect(isSystem(system)).toBe(true);
    expect(isSystem({ ...system })).toBe(false);
    expect(system.types).toEqual(['SPLIT', 'COUNT']);
    expect(system.recipe('COUNT')).toEqual({
      type: 'COUNT',
      source: 'SPLIT-to-COUNT',
      dest: ['COUNT-to-END'],
      batchSize: 50,
      batchTimeoutMs: 100,
      concurrency: 1,
      // The batches in flight and one more arriving.
      batchesInFlight: 4,
      maxUnacked: 250,
      codec: 'json',
      retry: {
        maxAttempts: 3,
        initialDelayMs: 1000,
        maxDelayMs: 60_000,
        multiplier: 2,
        jitter: 0.2,
        maxRedeliveries: 10,
      },
      options: {},
    });
    expect(system.queues).toEqual({
      inputs: ['START-to-SPLIT'],
      outputs: ['COUNT-to-END'],
      failures: ['SPLIT-fail', 'COUNT-fail'],
    });
  });

  it('system - recipes are plain JSON-able objects that MMOP carries unchanged, and frozen', () => {
    const options = { threshold: 3, labels: ['a'] };
    const system = defineSystem({
      name: 's',
      nodes: [{ name: 'A', options, retry: { maxAttempts: 5, jitter: undefined }, transform: id }],
    });
    const recipe = system.recipe('A');
    expect(JSON.parse(JSON.stringify(recipe))).toEqual(recipe);
    expect(recipe.retry.maxAttempts).toBe(5);
    expect(recipe.retry.jitter).toBe(0.2);
    const frames = encode({ kind: 'START-NODE', requestId: 'r1', recipe });
    expect(decode(frames)).toEqual({ kind: 'START-NODE', requestId: 'r1', recipe });
    expect(Object.isFrozen(recipe) && Object.isFrozen(recipe.options)).toBe(true);
    expect(Object.isFrozen(options)).toBe(false);
  });

  it('system - a loop: a node may write the queue it reads', () => {
    const system = defineSystem({
      name: 's',
      nodes: [
        {
          name: 'COLLATZ',
          source: 'numbers',
          dest: { again: 'numbers', done: 'ones' },
          route: (n: number) => (n === 1 ? 'done' : 'again'),
          transform: (n: number) => (n % 2 === 0 ? n / 2 : 3 * n + 1),
        },
      ],
    });
    expect(system.recipe('COLLATZ').dest).toEqual({ again: ['numbers'], done: ['ones'] });
    expect(system.queues).toMatchObject({ inputs: [], outputs: ['ones'] });
  });

  it('validation - two nodes with one name are refused', () => {
    const error = refusal([
      { name: 'A', transform: id },
      { name: 'A', transform: id },
    ]);
    expect(error).toMatchObject({ code: 'DUPLICATE_NODE_TYPE', nodeType: 'A' });
    expect(error.message).toContain('two nodes are named "A"');
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize', /whole number from 1 to 10000, got 0/],
    [{ batchSize: 2.5 }, 'batchSize', /got 2.5/],
    [{ batchTimeoutMs: -1 }, 'batchTimeoutMs', /from 0/],
    [{ concurrency: 0 }, 'concurrency', /from 1/],
    [{ batchesInFlight: 0 }, 'batchesInFlight', /whole number from 1 to 64, got 0/],
    [{ batchesInFlight: 1.5 }, 'batchesInFlight', /got 1.5/],
    [{ batchesInFlight: 65 }, 'batchesInFlight', /from 1 to 64/],
    [{ batchSize: 10, maxUnacked: 5 }, 'maxUnacked', /below batchSize 10/],
    [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts', /from 1/],
    [
      { retry: { initialDelayMs: 5000, maxDelayMs: 10 } },
      'retry.maxDelayMs',
      /below retry.initialDelayMs/,
    ],
    [{ retry: { jitter: 2 } }, 'retry.jitter', /from 0 to 1/],
    [{ codec: 'yaml' }, 'codec', /"yaml" is not a codec/],
    [{ options: { when: new Date() } }, 'options.when', /not JSON-able/],
    [{ dest: [] }, 'dest', /at least one queue/],
    [{ source: '' }, 'source', /non-empty queue name/],
  ])('validation - a bad option %j is refused, naming the field', (options, field, message) => {
    const error = refusal([{ name: 'N', transform: id, ...options }]);
    expect(error).toMatchObject({ code: 'INVALID_NODE_OPTION', nodeType: 'N', field });
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`node N: ${field}`);
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'has space' }, 'name'],
    [{ name: 'A:B' }, 'name'],
  ])('validation - a node name that cannot name queues and nodes is refused: %j', (node, field) => {
    expect(refusal([{ transform: id, ...node }])).toMatchObject({
      code: 'INVALID_NODE_OPTION',
      field: `nodes[0].${field}`,
    });
  });

  it('validation - routes need named destinations, and named destinations need a route', () => {
    expect(refusal([{ name: 'R', route: () => 'x', transform: id }])).toMatchObject({
      code: 'INVALID_ROUTE',
      field: 'route',
    });
    expect(refusal([{ name: 'R', dest: { a: 'qa' }, transform: id }])).toMatchObject({
      code: 'INVALID_ROUTE',
      field: 'dest',
    });
  });

  it('validation - a node transforms or generates, not both nor neither; generators read nothing', () => {
    expect(refusal([{ name: 'X' }])).toMatchObject({ field: 'transform' });
    expect(refusal([{ name: 'X', transform: id, *generate() {} }])).toMatchObject({
      field: 'transform',
    });
    expect(refusal([{ name: 'G', source: 'q', *generate() {} }])).toMatchObject({
      field: 'source',
    });
    expect(refusal([{ name: 'T', source: null, transform: id }])).toMatchObject({
      field: 'source',
    });
  });

  it('validation - a chain cut by an explicit dest or source is refused, naming the link', () => {
    const sink = refusal([
      { name: 'A', dest: null, transform: id },
      { name: 'B', transform: id },
    ]);
    expect(sink).toMatchObject({ code: 'BROKEN_CHAIN', nodeType: 'B', field: 'source' });
    expect(sink.message).toContain('reads A-to-B');
    const source = refusal([
      { name: 'A', transform: id },
      { name: 'B', source: 'elsewhere', transform: id },
    ]);
    expect(source).toMatchObject({ code: 'BROKEN_CHAIN', nodeType: 'A', field: 'dest' });
    const generator = refusal([
      { name: 'A', transform: id },
      { name: 'G', *generate() {} },
    ]);
    expect(generator.message).toContain('G is a generator');
  });

  it('validation - an empty or nameless system is refused', () => {
    expect(() => defineUnchecked([])).toThrow(/nodes must be a non-empty list/);
    expect(() => defineUnchecked([{ name: 'A', transform: id }], '')).toThrow(/needs a name/);
  });
});

describe('recipes and createNode', () => {
  const system = defineSystem({
    name: 'shop',
    nodes: [
      { name: 'ORDERS', transform: id },
      { name: 'INVOICES', transform: id },
    ],
  });
  const adapter = new MemoryStreamAdapter();

  it('recipe - a type the system lacks gives UnknownNodeTypeError listing the types it has', () => {
    let error: unknown;
    try {
      createNode(system, { type: 'REFUNDS' }, { adapter });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownNodeTypeError);
    expect(error).toMatchObject({
      code: 'UNKNOWN_NODE_TYPE',
      type: 'REFUNDS',
      knownTypes: ['ORDERS', 'INVOICES'],
    });
    expect((error as Error).message).toBe(
      'system "shop" has no node type "REFUNDS"; it has: ORDERS, INVOICES',
    );
  });

  it('recipe - a recipe from the master may change options; one that does not fit is refused', () => {
    const node = createNode(
      system,
      { ...system.recipe('ORDERS'), batchSize: 100, maxUnacked: 300 },
      { adapter },
    );
    expect(node.type).toBe('ORDERS');
    expect(() =>
      createNode(system, { ...system.recipe('ORDERS'), batchSize: -1 }, { adapter }),
    ).toThrow(InvalidRecipeError);
    expect(() =>
      createNode(system, { ...system.recipe('ORDERS'), dest: { a: ['q'] } }, { adapter }),
    ).toThrow(/no route to choose/);
    expect(() => createNode(system, { type: 'ORDERS' }, { adapter })).toThrow(/batchSize/);
    // A recipe from a master that predates batchesInFlight gets the default.
    const { batchesInFlight: _omitted, ...older } = system.recipe('ORDERS');
    expect(createNode(system, older, { adapter }).type).toBe('ORDERS');
    expect(() => createNode(system, { nope: 1 } as never, { adapter })).toThrow(
      /recipe names its node type/,
    );
  });

  it('recipe - a custom codec is named in the recipe and found again from the definition', () => {
    const upper: BodyCodec<string> = {
      name: 'upper-text',
      encode: (s) => Buffer.from(s.toUpperCase()),
      decode: (b) => Buffer.from(b).toString(),
    };
    const custom = defineSystem({ name: 'c', nodes: [{ name: 'U', codec: upper, transform: id }] });
    expect(custom.recipe('U').codec).toBe('upper-text');
    expect(custom.compile(custom.recipe('U')).codec).toBe(upper);
    expect(custom.compile({ ...custom.recipe('U'), codec: 'msgpack' }).codec.name).toBe('msgpack');
  });

  it('defineNode - returns the definition unchanged', () => {
    const definition = { name: 'D', transform: (n: number) => n + 1 };
    expect(defineNode(definition)).toBe(definition);
  });
});

describe('defaultBatchesInFlight', () => {
  it('defaults - 4 batches, or enough for 128 messages at small batches, at most 64', () => {
    expect([1, 2, 3, 10, 31, 32, 50, 1000].map(defaultBatchesInFlight)).toEqual([
      64, 64, 43, 13, 5, 4, 4, 4,
    ]);
    const system = defineSystem({
      name: 'windows',
      nodes: [
        { name: 'SMALL', transform: (v: unknown) => v },
        { name: 'LARGE', batchSize: 100, transform: (v: unknown) => v },
        { name: 'SET', batchesInFlight: 2, transform: (v: unknown) => v },
      ],
    });
    expect(system.recipe('SMALL')).toMatchObject({
      batchSize: 10,
      batchesInFlight: 13,
      maxUnacked: 140,
    });
    expect(system.recipe('LARGE')).toMatchObject({ batchesInFlight: 4, maxUnacked: 500 });
    expect(system.recipe('SET')).toMatchObject({ batchesInFlight: 2, maxUnacked: 30 });
    // A recipe without the field (from a master before it) gets the default for its batch size.
    const { batchesInFlight: _, ...older } = system.recipe('SMALL');
    expect(system.compile(older).batchesInFlight).toBe(13);
  });
});

describe('defaultMaxUnacked', () => {
  it('defaults - the batches in flight and one more, capped at what a recipe may say', () => {
    expect(defaultMaxUnacked(10, 4)).toBe(50);
    expect(defaultMaxUnacked(100, 1)).toBe(200);
    expect(defaultMaxUnacked(10_000, 64)).toBe(RECIPE_LIMITS.maxUnacked);
    const system = defineSystem({
      name: 'big',
      nodes: [{ name: 'B', batchSize: 10_000, batchesInFlight: 64, transform: (v: unknown) => v }],
    });
    expect(system.recipe('B')).toMatchObject({ batchesInFlight: 64, maxUnacked: 100_000 });
  });
});
