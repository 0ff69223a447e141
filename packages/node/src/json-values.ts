/**
 * What a recipe's free-form parts may hold: plain objects and JSON values. A recipe travels in MMOP frames as JSON, so
 * a node's `options` must survive JSON unchanged (no class instances, functions, non-finite numbers or deep nesting).
 */

/** An object literal (or `Object.create(null)`): not an array, not an instance of a class. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const MAX_OPTIONS_DEPTH = 16;

/**
 * The first value in `value` that JSON (and so a recipe) cannot carry unchanged, with the field path that holds it
 * (from `field`); undefined when all of it can.
 */
export function jsonProblem(
  value: unknown,
  field: string,
  depth: number,
): { field: string; message: string } | undefined {
  if (depth > MAX_OPTIONS_DEPTH)
    return { field, message: `nests deeper than ${MAX_OPTIONS_DEPTH} levels` };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : { field, message: 'is not a finite number' };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], `${field}[${i}]`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonProblem(item, `${field}.${key}`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return {
    field,
    message: `is not JSON-able (${typeof value === 'object' ? 'an object of a class' : typeof value})`,
  };
}
