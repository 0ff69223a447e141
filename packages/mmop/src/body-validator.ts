/**
 * Compiled validators for MMOP/1 bodies. TypeBox compiles each kind's schema into a check function once, at load time;
 * on the hot path a valid body costs one call. Only on failure is the first error looked up and turned into a path
 * that names the field (`nodes[2].processed`).
 *
 * Recipes get one more check that a JSON schema cannot express cheaply: every value in them is JSON-able (null,
 * boolean, finite number, string, array, plain map), within a nesting depth.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import type { TSchema } from '@sinclair/typebox';
import { RecipeSchema } from './wire-shapes.js';

export interface BodyProblem {
  /** The field's path, e.g. `nodes[2].processed`; '' for the body itself. */
  readonly field: string;
  readonly missing: boolean;
  readonly reason: string;
}

export interface BodyValidator {
  /** Field names of the body, in wire order. */
  readonly fields: readonly string[];
  /** Returns undefined for a valid body, or the first problem found. */
  check(body: unknown): BodyProblem | undefined;
}

/** How deep values inside a recipe may nest. */
export const MAX_RECIPE_DEPTH = 32;

type RecipeVisitor = (value: unknown, path: string) => BodyProblem | undefined;

export function compileBodyValidator(schema: TSchema): BodyValidator {
  const compiled: TypeCheck<TSchema> = TypeCompiler.Compile(schema);
  const recipes = compileRecipeVisitor(schema);
  return {
    fields: Object.keys((schema as { properties?: object }).properties ?? {}),
    check(body) {
      if (!compiled.Check(body)) return firstProblem(compiled, body);
      return recipes?.(body, '');
    },
  };
}

function firstProblem(compiled: TypeCheck<TSchema>, body: unknown): BodyProblem {
  const error = compiled.Errors(body).First();
  if (!error) return { field: '', missing: false, reason: 'does not match its schema' };
  return {
    field: pointerToPath(error.path),
    missing: error.type === ValueErrorType.ObjectRequiredProperty,
    reason: error.message.charAt(0).toLowerCase() + error.message.slice(1),
  };
}

/** `/nodes/2/processed` -> `nodes[2].processed` */
export function pointerToPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    path += /^\d+$/.test(part) ? `[${part}]` : path === '' ? part : `.${part}`;
  }
  return path;
}

/** A function that visits every recipe a body holds (or undefined when the schema holds none). */
function compileRecipeVisitor(schema: TSchema): RecipeVisitor | undefined {
  if (schema.$id === RecipeSchema.$id) {
    return (value, path) => {
      const problem = jsonProblem(value, 0);
      return (
        problem && { field: joinPath(path, problem.field), missing: false, reason: problem.reason }
      );
    };
  }
  if (schema.type === 'object' && schema.properties) {
    const visitors = Object.entries(schema.properties as Record<string, TSchema>).flatMap(
      ([key, child]) => {
        const visit = compileRecipeVisitor(child);
        return visit ? [[key, visit] as const] : [];
      },
    );
    if (visitors.length === 0) return undefined;
    return (value, path) => {
      const object = value as Record<string, unknown>;
      for (const [key, visit] of visitors) {
        if (object[key] === undefined) continue;
        const problem = visit(object[key], joinPath(path, key));
        if (problem) return problem;
      }
      return undefined;
    };
  }
  if (schema.type === 'array' && schema.items) {
    const visit = compileRecipeVisitor(schema.items as TSchema);
    if (!visit) return undefined;
    return (value, path) => {
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        const problem = visit(items[i], `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    };
  }
  return undefined;
}

function joinPath(path: string, key: string): string {
  if (key === '') return path;
  if (key.startsWith('[')) return path + key;
  return path === '' ? key : `${path}.${key}`;
}

function jsonProblem(value: unknown, depth: number): { field: string; reason: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { field: '', reason: 'expected a finite number' };
  }
  if (depth >= MAX_RECIPE_DEPTH)
    return { field: '', reason: `nests deeper than ${MAX_RECIPE_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], depth + 1);
      if (problem) return { field: joinPath(`[${i}]`, problem.field), reason: problem.reason };
    }
    return undefined;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const key in value) {
      const problem = jsonProblem((value as Record<string, unknown>)[key], depth + 1);
      if (problem) return { field: joinPath(key, problem.field), reason: problem.reason };
    }
    return undefined;
  }
  return { field: '', reason: `expected a JSON value, got ${describe(value)}` };
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return 'binary';
  if (value instanceof Date) return 'a timestamp';
  return typeof value === 'object' ? (value?.constructor?.name ?? 'an object') : typeof value;
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
