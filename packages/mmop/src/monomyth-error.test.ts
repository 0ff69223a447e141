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

/** The classes of this file that `value` is an instance of: the whole answer, so no wrong `true` goes unseen. */
const CLASSES = { MonomythError, ParentError, ChildAError, ChildBError, UnbrandedError, Error };
function instanceOfWhich(value: unknown): string[] {
  return Object.entries(CLASSES)
    .filter(([, clazz]) => value instanceof clazz)
    .map(([name]) => name);
}

describe('MonomythError - brands', () => {
  it.each([
    {
      what: 'a parent instance is not an instance of its subclass',
      error: new ParentError('x'),
      classes: ['MonomythError', 'ParentError', 'Error'],
    },
    {
      what: 'a subclass instance is an instance of its parents, not of its sibling',
      error: new ChildAError('a'),
      classes: ['MonomythError', 'ParentError', 'ChildAError', 'Error'],
    },
    {
      what: 'an unbranded subclass gets the ordinary prototype check',
      error: new UnbrandedError('u'),
      classes: ['MonomythError', 'ParentError', 'UnbrandedError', 'Error'],
    },
  ])('$what', ({ error, classes }) => {
    expect(instanceOfWhich(error)).toEqual(classes);
  });

  it('a brand from another copy is recognised (each class checks its own brand); plain values are not', () => {
    const foreign = Object.assign(new Error('f'), {
      [Symbol.for('@monomyth/test.ChildAError')]: true,
    });
    expect(instanceOfWhich(foreign)).toEqual(['ChildAError', 'Error']);
    for (const value of [null, undefined, 'x', 1, { message: 'm' }] as unknown[]) {
      expect(instanceOfWhich(value)).toEqual([]);
    }
    expect(instanceOfWhich(new Error('e'))).toEqual(['Error']);
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
