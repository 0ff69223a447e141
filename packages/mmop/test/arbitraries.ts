/**
 * fast-check arbitraries for MMOP/1 messages, derived from the same wire schemas the codec compiles, so a new field is
 * covered by the property tests the moment it is added to a schema.
 */
import fc from 'fast-check';
import type { TSchema } from '@sinclair/typebox';
import { KIND_SPECS, MESSAGE_KINDS } from '../src/index.js';
import type { MessageKind, MmopMessage } from '../src/index.js';

const OPTIONAL = Symbol.for('TypeBox.Optional');

/** JSON values as recipes may hold them (shallow enough to stay fast). */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(positiveZero),
    fc.string(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }).filter(safeKey), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** msgpack writes -0 as the integer 0, so a round trip turns -0 into 0: generate only the latter. */
function positiveZero(value: number): number {
  return value === 0 ? 0 : value;
}

function safeKey(key: string): boolean {
  // msgpack decoders refuse __proto__ as a map key, and `type` is the recipe's own field.
  return key !== '__proto__' && key !== 'type';
}

export function arbitraryFor(schema: TSchema): fc.Arbitrary<unknown> {
  if (schema.$id === 'Recipe') {
    return fc
      .tuple(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.dictionary(fc.string({ maxLength: 12 }).filter(safeKey), jsonValue, { maxKeys: 5 }),
      )
      .map(([type, rest]) => ({ ...rest, type }));
  }
  // Unions of literals (FAIL-QUEUE's action): one of the literals.
  if (Array.isArray(schema.anyOf))
    return fc.oneof(...(schema.anyOf as TSchema[]).map(arbitraryFor));
  if (schema.const !== undefined) return fc.constant(schema.const as unknown);
  switch (schema.type) {
    case 'string':
      return fc.string({
        minLength: schema.minLength ?? 0,
        maxLength: Math.min(schema.maxLength ?? 40, 40),
      });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 2 ** 40 });
    case 'number':
      return fc
        .double({ min: schema.minimum ?? -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true })
        .map(positiveZero);
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(arbitraryFor(schema.items as TSchema), { maxLength: 3 });
    case 'object': {
      const properties = schema.properties as Record<string, TSchema>;
      const required = Object.keys(properties).filter((key) => !(OPTIONAL in properties[key]!));
      const shape = Object.fromEntries(
        Object.entries(properties).map(([key, child]) => [key, arbitraryFor(child)]),
      );
      return fc.record(shape, { requiredKeys: required });
    }
    default:
      throw new Error(`no arbitrary for schema type ${String(schema.type)}`);
  }
}

export function arbitraryMessage(kind: MessageKind): fc.Arbitrary<MmopMessage> {
  return arbitraryFor(KIND_SPECS[kind].body).map(
    (body) => ({ ...(body as object), kind }) as MmopMessage,
  );
}

export const anyMessage: fc.Arbitrary<MmopMessage> = fc.oneof(
  ...MESSAGE_KINDS.map(arbitraryMessage),
);
