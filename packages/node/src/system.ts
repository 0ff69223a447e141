/**
 * defineSystem: a named list of node definitions, checked once, with a recipe per node type. A system module
 * default-exports it; workers load it and build nodes from recipes (`createNode`), the master learns its recipes.
 * How the nodes are linked by queues (the chain) is in system-chain.ts.
 */
import type { Recipe } from '@monomyth/mmop';
import type { BodyCodec } from './codecs.js';
import type { DefineSystem } from './chain-types.js';
import type { AnyNodeDefinition } from './definition.js';
import { isStandardSchema } from './input-schema.js';
import {
  InvalidRecipeError,
  SystemDefinitionError,
  SystemErrorCode,
  UnknownNodeTypeError,
} from './errors.js';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_BATCH_TIMEOUT_MS,
  DEFAULT_BATCHES_IN_FLIGHT,
  defaultBatchesInFlight,
  DEFAULT_CONCURRENCY,
  DEFAULT_RETRY,
  checkTypeName,
  defaultMaxUnacked,
  compileRecipe,
} from './recipe.js';
import { isPlainObject } from './json-values.js';
import type { NodeRecipe, NodeSpec } from './recipe.js';
import { chainLinks, checkChain } from './system-chain.js';
import type { SystemQueues } from './system-chain.js';

export interface System {
  readonly name: string;
  /** The node types, in definition order. */
  readonly types: readonly string[];
  /** One recipe per node type, in definition order: JSON-able, frozen. */
  readonly recipes: readonly NodeRecipe[];
  readonly queues: SystemQueues;
  hasType(type: string): boolean;
  /** Throws `UnknownNodeTypeError` (which lists the types the system has) for a type it lacks. */
  definition(type: string): AnyNodeDefinition;
  /** Throws `UnknownNodeTypeError` for a type it lacks. */
  recipe(type: string): NodeRecipe;
  /** Checks a recipe against its type's definition: `UnknownNodeTypeError` or `InvalidRecipeError` if it does not fit. */
  compile(recipe: Recipe | NodeRecipe): NodeSpec;
}

export interface SystemDefinition<
  Nodes extends readonly AnyNodeDefinition[] = readonly AnyNodeDefinition[],
> {
  /** The system's name, for logs and errors. */
  readonly name: string;
  readonly nodes: Nodes;
}

const SYSTEM_BRAND = Symbol.for('@monomyth/node.System');

/** True for what `defineSystem` returns (from any copy of this package): how a worker checks a module's default export. */
export function isSystem(value: unknown): value is System {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[SYSTEM_BRAND] === true
  );
}

/**
 * Defines a system: checks every definition (names, options, routes, the chain) and makes its recipes. Throws a
 * `SystemDefinitionError` that names the node and the field at the first problem.
 *
 * Types follow the chain (chain-types.ts): a chained transform's parameter, unless annotated, is what the node before
 * it emits, and an annotated one must accept that.
 */
export const defineSystem: DefineSystem = makeSystem;

// Typed loosely: DefineSystem's optional places admit `undefined` (refused below: a node that is not an object).
function makeSystem(definition: {
  readonly name: string;
  readonly nodes: readonly unknown[];
}): System {
  if (!isPlainObject(definition)) {
    throw new SystemDefinitionError(
      SystemErrorCode.InvalidSystem,
      'a system is an object with a name and nodes',
    );
  }
  const { name, nodes } = definition as SystemDefinition;
  if (typeof name !== 'string' || name.length === 0) {
    throw new SystemDefinitionError(
      SystemErrorCode.InvalidSystem,
      'a system needs a name (a non-empty string)',
      {
        field: 'name',
      },
    );
  }
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new SystemDefinitionError(
      SystemErrorCode.InvalidSystem,
      `system ${name}: nodes must be a non-empty list`,
      {
        field: 'nodes',
      },
    );
  }

  const definitions = new Map<string, AnyNodeDefinition>();
  nodes.forEach((node: unknown, index) => {
    const problem = isPlainObject(node) ? checkTypeName(node.name) : 'is not an object';
    if (problem !== undefined) {
      throw new SystemDefinitionError(
        SystemErrorCode.InvalidNodeOption,
        `system ${name}: node ${index}: name ${problem}`,
        { field: `nodes[${index}].name` },
      );
    }
    const type = (node as AnyNodeDefinition).name;
    if (definitions.has(type)) {
      throw new SystemDefinitionError(
        SystemErrorCode.DuplicateNodeType,
        `system ${name}: two nodes are named ${JSON.stringify(type)}; a node's name is its type and must be unique`,
        { nodeType: type, field: 'name' },
      );
    }
    checkShape(name, node as AnyNodeDefinition);
    definitions.set(type, node as AnyNodeDefinition);
  });

  const list = [...definitions.values()];
  const recipes = list.map((node, index) => recipeOf(name, node, list[index - 1], list[index + 1]));
  const specs = new Map<string, NodeSpec>();
  for (const recipe of recipes) {
    const node = definitions.get(recipe.type) as AnyNodeDefinition;
    try {
      specs.set(recipe.type, compileRecipe(recipe, node));
    } catch (error) {
      if (!(error instanceof InvalidRecipeError)) throw error;
      throw new SystemDefinitionError(
        SystemErrorCode.InvalidNodeOption,
        `system ${name}: node ${recipe.type}: ${error.field} ${error.reason}`,
        { nodeType: recipe.type, field: error.field, cause: error },
      );
    }
  }
  const queues = checkChain(name, list, specs);
  const types = Object.freeze(list.map((node) => node.name));
  // Copies, checked JSON-able by now: freezing must not freeze the user's own option objects.
  const frozenRecipes = Object.freeze(
    recipes.map((recipe) => deepFreeze(JSON.parse(JSON.stringify(recipe)) as NodeRecipe)),
  );
  const byType = new Map(frozenRecipes.map((recipe) => [recipe.type, recipe]));

  const lookup = <T>(type: string, map: ReadonlyMap<string, T>): T => {
    const found = map.get(type);
    if (found === undefined) throw new UnknownNodeTypeError(String(type), name, types);
    return found;
  };
  const system: System = {
    name,
    types,
    recipes: frozenRecipes,
    queues,
    hasType: (type) => definitions.has(type),
    definition: (type) => lookup(type, definitions),
    recipe: (type) => lookup(type, byType),
    compile: (recipe) => {
      if (!isPlainObject(recipe) || typeof recipe.type !== 'string') {
        throw new InvalidRecipeError(undefined, 'type', 'must be a string');
      }
      return compileRecipe(recipe as NodeRecipe, lookup(recipe.type, definitions));
    },
  };
  Object.defineProperty(system, SYSTEM_BRAND, { value: true });
  return Object.freeze(system);
}

/** Checks what the recipe cannot: functions, and that a node transforms or generates but not both. */
function checkShape(system: string, node: AnyNodeDefinition): void {
  const type = node.name;
  const fail = (code: SystemErrorCode, field: string, message: string): never => {
    throw new SystemDefinitionError(code, `system ${system}: node ${type}: ${field} ${message}`, {
      nodeType: type,
      field,
    });
  };
  const hasTransform = node.transform !== undefined;
  const hasGenerate = node.generate !== undefined;
  if (hasTransform === hasGenerate) {
    fail(
      SystemErrorCode.InvalidNodeOption,
      'transform',
      'or generate: a node has exactly one of them',
    );
  }
  if (hasTransform && typeof node.transform !== 'function')
    fail(SystemErrorCode.InvalidNodeOption, 'transform', 'must be a function');
  if (hasGenerate && typeof node.generate !== 'function')
    fail(SystemErrorCode.InvalidNodeOption, 'generate', 'must be a function');
  if (hasGenerate && node.source !== undefined && node.source !== null) {
    fail(SystemErrorCode.InvalidNodeOption, 'source', 'must be absent: a generator reads nothing');
  }
  if (hasTransform && node.source === null) {
    fail(
      SystemErrorCode.InvalidNodeOption,
      'source',
      'is null, but only a generator reads nothing: give it a generate function',
    );
  }
  if (node.inputSchema !== undefined) {
    if (hasGenerate)
      fail(
        SystemErrorCode.InvalidNodeOption,
        'inputSchema',
        'must be absent: a generator reads nothing',
      );
    if (!isStandardSchema(node.inputSchema)) {
      fail(
        SystemErrorCode.InvalidNodeOption,
        'inputSchema',
        "must be a Standard Schema (v1) validator, such as zod's, valibot's or arktype's",
      );
    }
  }
  for (const hook of ['onStart', 'onStop', 'route'] as const) {
    if (node[hook] !== undefined && typeof node[hook] !== 'function')
      fail(SystemErrorCode.InvalidNodeOption, hook, 'must be a function');
  }
  if (node.retry !== undefined && !isPlainObject(node.retry))
    fail(SystemErrorCode.InvalidNodeOption, 'retry', 'must be an object');
  if (node.options !== undefined && !isPlainObject(node.options)) {
    fail(SystemErrorCode.InvalidNodeOption, 'options', 'must be a plain object');
  }
  const namedDest = isPlainObject(node.dest);
  if (node.route !== undefined && !namedDest) {
    fail(
      SystemErrorCode.InvalidRoute,
      'route',
      'needs named destinations: dest must be an object of destination names to queues',
    );
  }
  if (namedDest && node.route === undefined) {
    fail(
      SystemErrorCode.InvalidRoute,
      'dest',
      'names destinations, but there is no route to choose among them',
    );
  }
  if (node.codec !== undefined && typeof node.codec !== 'string') {
    const codec = node.codec as Partial<BodyCodec>;
    if (
      typeof codec !== 'object' ||
      typeof codec.name !== 'string' ||
      codec.name.length === 0 ||
      typeof codec.encode !== 'function' ||
      typeof codec.decode !== 'function'
    ) {
      fail(
        SystemErrorCode.InvalidNodeOption,
        'codec',
        'must be a codec name or an object with a name, encode and decode',
      );
    }
  }
}

/** The recipe of one node: its options with defaults, and its queues from the chain where not explicit. */
function recipeOf(
  system: string,
  node: AnyNodeDefinition,
  previous: AnyNodeDefinition | undefined,
  next: AnyNodeDefinition | undefined,
): NodeRecipe {
  const type = node.name;
  const { source, dest } = chainLinks(system, node, previous, next);
  const batchSize = node.batchSize ?? DEFAULT_BATCH_SIZE;
  const batchesInFlight =
    node.batchesInFlight ??
    (typeof batchSize === 'number' ? defaultBatchesInFlight(batchSize) : DEFAULT_BATCHES_IN_FLIGHT);
  return {
    type,
    source,
    dest,
    batchSize,
    batchTimeoutMs: node.batchTimeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS,
    concurrency: node.concurrency ?? DEFAULT_CONCURRENCY,
    batchesInFlight,
    maxUnacked:
      node.maxUnacked ??
      (typeof batchSize === 'number' && typeof batchesInFlight === 'number'
        ? defaultMaxUnacked(batchSize, batchesInFlight)
        : batchSize),
    codec:
      typeof node.codec === 'object' && node.codec !== null
        ? node.codec.name
        : (node.codec ?? 'json'),
    retry: { ...DEFAULT_RETRY, ...definedFields(node.retry ?? {}) },
    options: node.options ?? {},
    ...(node.autoscale !== undefined && { autoscale: node.autoscale }),
    ...(node.rateLimit !== undefined && { rateLimit: node.rateLimit }),
  };
}

/** The fields that are not undefined: `{ maxAttempts: undefined }` means the default, as if absent. */
function definedFields(object: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
