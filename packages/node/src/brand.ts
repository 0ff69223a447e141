/**
 * Brands for `instanceof` that holds across two copies of this package: each error class registers a symbol with
 * Symbol.for and checks it, not the prototype.
 */

export function brandOf(name: string): symbol {
  return Symbol.for(`@monomyth/node.${name}`);
}

export function hasBrand(value: unknown, brand: symbol): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[brand] === true
  );
}

export function setBrand(target: object, brand: symbol): void {
  Object.defineProperty(target, brand, { value: true });
}
