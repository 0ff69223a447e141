import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '@monomyth/mmop';
import { defineNode } from './definition.js';
import { InvalidRecipeError, SystemDefinitionError } from './errors.js';
import { compileRecipe } from './recipe.js';
import { defineSystem } from './system.js';

const definition = defineNode({ name: 'N', transform: (value: unknown) => value });
const system = defineSystem({ name: 'recipe-test', nodes: [definition] });

function refusal(change: Record<string, unknown>): InvalidRecipeError {
  try {
    compileRecipe({ ...system.recipe('N'), ...change }, definition);
  } catch (error) {
    if (error instanceof InvalidRecipeError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(change)}`);
}

describe('recipe options', () => {
  it('compileRecipe - a bad field is an InvalidOptionError of component recipe, with the type beside it', () => {
    const error = refusal({ batchSize: 0 });
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({
      component: 'recipe',
      option: 'batchSize',
      field: 'batchSize',
      type: 'N',
      code: 'INVALID_RECIPE',
      reason: 'must be a whole number from 1 to 10000, got 0',
      // The text workers send back in START-NODE failures.
      message: 'recipe for "N": batchSize must be a whole number from 1 to 10000, got 0',
    });
    // An option error of another component is not a recipe error.
    expect(new InvalidOptionError('worker', 'capacity', 'x')).not.toBeInstanceOf(
      InvalidRecipeError,
    );
  });

  it('compileRecipe - durations: whole milliseconds for the batch timeout, fractions allowed for retry delays', () => {
    expect(refusal({ batchTimeoutMs: 1.5 }).reason).toMatch(/whole milliseconds from 0 to 3600000/);
    expect(refusal({ batchTimeoutMs: 3_600_001 }).option).toBe('batchTimeoutMs');
    const retry = system.recipe('N').retry;
    expect(() =>
      compileRecipe(
        { ...system.recipe('N'), retry: { ...retry, initialDelayMs: 0.5 } },
        definition,
      ),
    ).not.toThrow();
    expect(refusal({ retry: { ...retry, maxDelayMs: -1 } })).toMatchObject({
      option: 'retry.maxDelayMs',
    });
    expect(refusal({ retry: { ...retry, jitter: Number.NaN } }).reason).toMatch(/got NaN/);
  });

  it('defineSystem - a bad node option is refused with the recipe option error as its cause', () => {
    let thrown: unknown;
    try {
      defineSystem({ name: 's', nodes: [{ ...definition, concurrency: 0 }] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SystemDefinitionError);
    expect((thrown as Error).cause).toBeInstanceOf(InvalidOptionError);
    expect((thrown as Error).cause).toMatchObject({ component: 'recipe', option: 'concurrency' });
  });
});
