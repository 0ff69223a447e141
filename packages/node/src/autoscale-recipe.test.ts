/** A definition's `autoscale` policy: carried in its recipe for the master, and refused by name when it is wrong. */
import { describe, expect, it } from 'vitest';
import { defineNode } from './definition.js';
import { InvalidRecipeError, SystemDefinitionError } from './errors.js';
import { compileRecipe } from './recipe.js';
import { defineSystem } from './system.js';

const plain = defineNode({ name: 'N', transform: (value: unknown) => value });

describe('autoscale in recipes', () => {
  it('recipe - a definition with a policy sends it in its recipe; one without sends none', () => {
    const scaled = defineNode({
      name: 'S',
      transform: (value: unknown) => value,
      autoscale: { min: 1, max: 8, targetBacklogPerNode: 500 },
    });
    const system = defineSystem({ name: 'autoscale-test', nodes: [scaled, plain] });
    expect(system.recipe('S').autoscale).toEqual({ min: 1, max: 8, targetBacklogPerNode: 500 });
    expect('autoscale' in system.recipe('N')).toBe(false);
    // The recipe stays JSON-able: what the master learns is what was defined.
    expect(JSON.parse(JSON.stringify(system.recipe('S')))).toEqual(system.recipe('S'));
  });

  it.each([
    [{ min: 2, max: 1, targetBacklogPerNode: 10 }, 'autoscale.max', 'is 1, below min 2'],
    [{ min: -1, max: 1, targetBacklogPerNode: 10 }, 'autoscale.min', 'from 0 to 10000'],
    [{ min: 0, max: 0, targetBacklogPerNode: 10 }, 'autoscale.max', 'from 1 to 10000'],
    [{ min: 1, max: 2, targetBacklogPerNode: 0 }, 'autoscale.targetBacklogPerNode', 'from 1 to'],
    [{ min: 1, max: 2 }, 'autoscale.targetBacklogPerNode', 'undefined'],
    [
      { min: 1, max: 2, targetBacklogPerNode: 5, scaleUpAfterMs: -5 },
      'autoscale.scaleUpAfterMs',
      'milliseconds',
    ],
    [
      { min: 1, max: 2, targetBacklogPerNode: 5, scaleDownAfterMs: 'soon' },
      'autoscale.scaleDownAfterMs',
      'milliseconds',
    ],
    ['fast', 'autoscale', 'must be an object'],
  ])('recipe - autoscale %j is refused at %s', (policy, field, reason) => {
    const base = defineSystem({ name: 'autoscale-test', nodes: [plain] }).recipe('N');
    let caught: unknown;
    try {
      compileRecipe({ ...base, autoscale: policy } as never, plain);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRecipeError);
    expect(caught).toMatchObject({ field });
    expect((caught as InvalidRecipeError).reason).toContain(reason);
  });

  it('recipe - a rate limit travels in the recipe; a bad one is refused at rateLimit.<field>', () => {
    const limited = defineNode({
      name: 'L',
      transform: (value: unknown) => value,
      rateLimit: { perSecond: 200, burst: 20 },
    });
    const system = defineSystem({ name: 'rate-test', nodes: [limited] });
    expect(system.recipe('L').rateLimit).toEqual({ perSecond: 200, burst: 20 });
    for (const [limit, field] of [
      [{ perSecond: 0 }, 'rateLimit.perSecond'],
      [{ perSecond: 5, burst: 0.5 }, 'rateLimit.burst'],
      [{}, 'rateLimit.perSecond'],
      [7, 'rateLimit'],
    ] as const) {
      expect(() =>
        compileRecipe({ ...system.recipe('L'), rateLimit: limit } as never, limited),
      ).toThrow(expect.objectContaining({ field }) as Error);
    }
  });

  it('defineSystem - a bad policy fails the system with the node and the field named', () => {
    expect(() =>
      defineSystem({
        name: 'autoscale-test',
        nodes: [
          defineNode({
            name: 'S',
            transform: (value: unknown) => value,
            autoscale: { min: 3, max: 2, targetBacklogPerNode: 1 },
          }),
        ],
      }),
    ).toThrow(SystemDefinitionError);
    expect(() =>
      defineSystem({
        name: 'autoscale-test',
        nodes: [
          defineNode({
            name: 'S',
            transform: (value: unknown) => value,
            autoscale: { min: 3, max: 2, targetBacklogPerNode: 1 },
          }),
        ],
      }),
    ).toThrow('node S: autoscale.max is 2, below min 3');
  });
});
