import { describe, expect, it } from 'vitest';
import { MonomythError, brandError, describeError } from './monomyth-error.js';

class ParentError extends MonomythError {
  static {
    brandError(this, '@monomyth/test.ParentError');
  }
}
class ChildAError extends ParentError {
  static {
    brandError(this, '@monomyth/test.ChildAError');
  }
}
class ChildBError extends ParentError {
  static {
    brandError(this, '@monomyth/test.ChildBError');
  }
}
class UnbrandedError extends ParentError {}

describe('MonomythError - brands', () => {
  it('a parent instance is not an instance of its subclass', () => {
    const parent = new ParentError('x');
    expect(parent instanceof ParentError).toBe(true);
    expect(parent instanceof ChildAError).toBe(false);
    expect(parent instanceof MonomythError).toBe(true);
    expect(parent instanceof Error).toBe(true);
  });

  it('a subclass instance is an instance of its parents, not of its sibling', () => {
    const a = new ChildAError('a');
    expect(a instanceof ChildAError).toBe(true);
    expect(a instanceof ParentError).toBe(true);
    expect(a instanceof MonomythError).toBe(true);
    expect(a instanceof ChildBError).toBe(false);
  });

  it('an unbranded subclass gets the ordinary prototype check', () => {
    const u = new UnbrandedError('u');
    expect(u instanceof UnbrandedError).toBe(true);
    expect(u instanceof ParentError).toBe(true);
    expect(new ParentError('p') instanceof UnbrandedError).toBe(false);
  });

  it('a brand from another copy is recognised; plain values are not', () => {
    const foreign = Object.assign(new Error('f'), {
      [Symbol.for('@monomyth/test.ChildAError')]: true,
    });
    expect(foreign instanceof ChildAError).toBe(true);
    expect(foreign instanceof ChildBError).toBe(false);
    for (const value of [null, undefined, 'x', 1, { message: 'm' }] as unknown[]) {
      expect(value instanceof ParentError).toBe(false);
    }
    expect(new Error('e') instanceof MonomythError).toBe(false);
  });

  it('name is the last segment of the key and the message and cause are kept', () => {
    const cause = new Error('root');
    const a = new ChildAError('a', { cause });
    expect(a.name).toBe('ChildAError');
    expect(new ParentError('p').name).toBe('ParentError');
    expect(a.message).toBe('a');
    expect(a.cause).toBe(cause);
    expect(String(a)).toBe('ChildAError: a');
    expect(Object.keys(a)).toEqual([]);
  });

  it('a key without a name is refused', () => {
    expect(() => {
      brandError(class extends Error {}, '@monomyth/test.');
    }).toThrow(TypeError);
  });
});

describe('describeError', () => {
  it('describes errors, strings, objects and values that do not serialise', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('text')).toBe('text');
    expect(describeError({ a: 1 })).toBe('{"a":1}');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError(10n)).toBe('10');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeError(cyclic)).toBe('[object Object]');
  });
});
