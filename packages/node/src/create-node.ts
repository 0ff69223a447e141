/**
 * How a worker turns (system, recipe) into a node: look the type up, check the recipe against the definition, build.
 */
import type { Recipe } from '@monomyth/mmop';
import { InvalidRecipeError } from './errors.js';
import { Node } from './node.js';
import type { NodeRuntimeOptions } from './node.js';
import { isPlainObject } from './recipe.js';
import type { NodeRecipe } from './recipe.js';
import type { System } from './system.js';

/**
 * Builds a node of `system` from a recipe (as sent in START-NODE), or from a node type (its recipe in the system).
 * Throws `UnknownNodeTypeError` (naming the types the system has) for a type the system lacks, and
 * `InvalidRecipeError` for a recipe that does not fit its type. The node is built, not started: call `run()`.
 */
export function createNode(
  system: System,
  recipe: Recipe | NodeRecipe | string,
  options: NodeRuntimeOptions,
): Node {
  if (typeof recipe === 'string') return new Node(system.compile(system.recipe(recipe)), options);
  if (!isPlainObject(recipe) || typeof recipe.type !== 'string') {
    throw new InvalidRecipeError(
      undefined,
      'type',
      'must be a string: a recipe names its node type',
    );
  }
  return new Node(system.compile(recipe), options);
}
