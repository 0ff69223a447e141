import * as v from 'valibot';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  createNode,
  defineNode,
  InputValidationError,
  NonRetryableError,
  SystemDefinitionError,
  jsonCodec,
  type Node,
  type StandardSchemaV1,
} from '../src/index.js';
import { MonomythHeader } from '../src/adapter.js';
import { memoryNodes, push, soloSystem, take, takeValues } from './helpers.js';

const { started, openMemory } = memoryNodes();

async function run(
  schema: StandardSchemaV1<unknown, { name: string; qty: number }>,
  inputs: readonly unknown[],
  batchSize = 10,
): Promise<{ outputs: unknown[]; failed: Awaited<ReturnType<typeof take>>; node: Node }> {
  const adapter = await openMemory();
  const seen: unknown[] = [];
  const system = soloSystem(
    defineNode({
      name: 'ORDERS',
      batchSize,
      inputSchema: schema,
      transform: (order) => {
        seen.push(order);
        return `${order.name}x${order.qty}`;
      },
    }),
  );
  const node = await started(createNode(system, 'ORDERS', { adapter }));
  await push(adapter, 'START-to-ORDERS', inputs);
  const good = inputs.length - 2;
  const outputs = await takeValues(adapter, 'ORDERS-to-END', good);
  const failed = await take(adapter, 'ORDERS-fail', 2);
  expect(seen).toHaveLength(good);
  return { outputs, failed, node };
}

const inputs = [
  { name: 'apple', qty: 2 },
  { name: 42, qty: 'many' },
  { name: 'pear', qty: 1 },
  'not an order',
  { name: 'plum', qty: 3 },
];

describe('input schema', () => {
  it('input schema - zod: a message of the wrong shape goes to the fail queue with its issues; the rest flow', async () => {
    const { outputs, failed, node } = await run(
      z.object({ name: z.string(), qty: z.number().int() }),
      inputs,
    );
    expect(outputs).toEqual(['applex2', 'pearx1', 'plumx3']);
    expect(failed.map((d) => jsonCodec.decode(d.body))).toEqual([inputs[1], inputs[3]]);
    const headers = failed[0]!.headers;
    expect(headers[MonomythHeader.ErrorName]).toBe('InputValidationError');
    expect(headers[MonomythHeader.Step]).toBe('pull');
    expect(headers[MonomythHeader.NonRetryable]).toBe(true);
    expect(headers[MonomythHeader.Attempts]).toBe(1);
    const issues = JSON.parse(String(headers[MonomythHeader.ValidationIssues])) as {
      path: string;
      message: string;
    }[];
    expect(issues.map((issue) => issue.path).sort()).toEqual(['$.name', '$.qty']);
    expect(String(headers[MonomythHeader.ErrorMessage])).toContain('$.name');
    expect(JSON.parse(String(failed[1]!.headers[MonomythHeader.ValidationIssues]))).toEqual([
      { path: '$', message: expect.any(String) },
    ]);
    await node.drain(1000);
    expect(node.stats()).toMatchObject({ processed: 3, failed: 2, retried: 0 });
  });

  it('input schema - valibot works the same, through the Standard Schema interface only', async () => {
    const { outputs, failed } = await run(
      v.object({ name: v.string(), qty: v.pipe(v.number(), v.integer()) }),
      inputs,
      1,
    );
    expect(outputs).toEqual(['applex2', 'pearx1', 'plumx3']);
    expect(failed.map((d) => d.headers[MonomythHeader.ErrorName])).toEqual([
      'InputValidationError',
      'InputValidationError',
    ]);
  });

  it("input schema - the transform gets the schema's output (coercion and defaults apply)", async () => {
    const adapter = await openMemory();
    const system = soloSystem(
      defineNode({
        name: 'COERCE',
        inputSchema: z.object({ n: z.coerce.number(), tag: z.string().default('none') }),
        transform: ({ n, tag }) => `${tag}:${n * 2}`,
      }),
    );
    await started(createNode(system, 'COERCE', { adapter }));
    await push(adapter, 'START-to-COERCE', [{ n: '21' }, { n: 4, tag: 'x' }]);
    expect(await takeValues(adapter, 'COERCE-to-END', 2)).toEqual(['none:42', 'x:8']);
  });

  it('input schema - an asynchronous validator is awaited, in order, with per-message failure', async () => {
    const even = z.number().refine(async (n) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return n % 2 === 0;
    }, 'must be even');
    const adapter = await openMemory();
    const system = soloSystem(
      defineNode({ name: 'EVEN', batchSize: 5, inputSchema: even, transform: (n) => n / 2 }),
    );
    await started(createNode(system, 'EVEN', { adapter }));
    await push(adapter, 'START-to-EVEN', [2, 3, 4, 5, 6]);
    expect(await takeValues(adapter, 'EVEN-to-END', 3)).toEqual([1, 2, 3]);
    const failed = await take(adapter, 'EVEN-fail', 2);
    expect(failed.map((d) => jsonCodec.decode(d.body))).toEqual([3, 5]);
    expect(String(failed[0]!.headers[MonomythHeader.ValidationIssues])).toContain('must be even');
  });

  it('input schema - a validator that throws fails its message at step pull, as a retryable error', async () => {
    const broken: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) => {
          if (value === 13) throw new Error('validator bug');
          return { value: value as number };
        },
      },
    };
    const adapter = await openMemory();
    const system = soloSystem(
      defineNode({
        name: 'B',
        inputSchema: broken,
        retry: { maxAttempts: 1 },
        transform: (n) => n + 1,
      }),
    );
    await started(createNode(system, 'B', { adapter }));
    await push(adapter, 'START-to-B', [1, 13, 2]);
    expect(await takeValues(adapter, 'B-to-END', 2)).toEqual([2, 3]);
    const [failed] = await take(adapter, 'B-fail', 1);
    expect(failed!.headers[MonomythHeader.ErrorMessage]).toBe('validator bug');
    expect(failed!.headers[MonomythHeader.Step]).toBe('pull');
    expect(failed!.headers[MonomythHeader.NonRetryable]).toBe(false);
  });

  it('input schema - InputValidationError is a NonRetryableError, and only it is an InputValidationError', () => {
    const error = new InputValidationError([{ path: '$.a', message: 'bad' }]);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error).toBeInstanceOf(InputValidationError);
    expect(new NonRetryableError('x')).not.toBeInstanceOf(InputValidationError);
    expect(error.code).toBe('INPUT_VALIDATION');
    expect(JSON.parse(error.issuesJson())).toEqual([{ path: '$.a', message: 'bad' }]);
  });

  it('input schema - the issues header stays small however many issues there are', () => {
    const issues = Array.from({ length: 500 }, (_, i) => ({
      path: `$.field${i}`,
      message: 'x'.repeat(100),
    }));
    const error = new InputValidationError(issues);
    expect(error.issuesJson().length).toBeLessThanOrEqual(2048);
    expect(JSON.parse(error.issuesJson()).length).toBeGreaterThan(0);
    expect(error.message.length).toBeLessThan(2200);
  });

  it('input schema - defineSystem refuses what is not a Standard Schema, and a schema on a generator', () => {
    expect(() =>
      soloSystem({
        name: 'A',
        inputSchema: { parse: () => 1 } as unknown as StandardSchemaV1<unknown, number>,
        transform: (n: number) => n,
      }),
    ).toThrow(SystemDefinitionError);
    expect(() =>
      soloSystem({
        name: 'G',
        inputSchema: z.number() as never,
        generate: function* () {
          yield 1;
        },
      }),
    ).toThrow(/inputSchema must be absent: a generator reads nothing/);
  });
});
