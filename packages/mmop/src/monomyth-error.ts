/**
 * The one error base for every Monomyth package, and `describeError` for anything thrown.
 *
 * `instanceof` must hold when two copies of a package are loaded (two versions in one tree, a bundled app beside an
 * installed one): a prototype check would say an error from the other copy is not ours. So each public error class
 * is branded, in one line, with a `Symbol.for` key; the brand sits on the class's prototype, so an instance carries
 * the brand of every branded class in its chain, and a copy's class with the same key recognises it:
 *
 *     export class BodyCodecError extends NonRetryableError {
 *       static {
 *         brandError(this, '@monomyth/node.BodyCodecError');
 *       }
 *     }
 *
 * `X[Symbol.hasInstance]` checks X's OWN brand only (Temporal's `SymbolBasedInstanceOfError` does the same): a
 * subclass that inherited its parent's check would answer `instanceof` for its siblings, so that
 * `new NonRetryableError('x') instanceof BodyCodecError` would be true. A class that is not branded itself (a user's
 * subclass) gets the ordinary prototype check.
 */

function hasBrand(value: unknown, brand: symbol): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[brand] === true
  );
}

/**
 * Brands `clazz` with `Symbol.for(key)`: instances (of it and its subclasses, from any copy of the package) answer
 * `instanceof clazz`; instances of its parent or siblings do not. Sets `prototype.name` to the key's last segment
 * (`'@monomyth/node.BodyCodecError'` -> `'BodyCodecError'`), so the class need not declare `name`. Call it once per
 * class, in a `static {}` block or right after the class.
 */
export function brandError(clazz: abstract new (...args: never[]) => Error, key: string): void {
  const brand = Symbol.for(key);
  const name = key.slice(key.lastIndexOf('.') + 1);
  if (name === '')
    throw new TypeError(`brandError: key ${JSON.stringify(key)} ends without a name`);
  Object.defineProperty(clazz.prototype, brand, { value: true });
  Object.defineProperty(clazz.prototype, 'name', {
    value: name,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(clazz, Symbol.hasInstance, {
    value: function hasInstance(this: unknown, value: unknown): boolean {
      if (this === clazz) return hasBrand(value, brand);
      // A subclass that was not branded itself: the ordinary prototype-chain check.
      return Function.prototype[Symbol.hasInstance].call(this, value);
    },
    configurable: true,
  });
}

/**
 * Base of every public Monomyth error. `instanceof MonomythError` holds for all of them, across copies. `cause` is
 * kept as the standard `Error.cause`.
 */
export class MonomythError extends Error {
  static {
    brandError(this, '@monomyth/mmop.MonomythError');
  }
}

/**
 * A one-line description of anything thrown, for logs, failure headers and replies: an Error's message, a string as
 * is, anything else as JSON (or `String()` when it does not serialise).
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
