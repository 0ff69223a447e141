/**
 * The chain: how a system's nodes are linked by queues. Listed in order, nodes chain like the original's:
 * `START-to-<a>`, `<a>-to-<b>`, ..., `<z>-to-END`. A node's explicit `source` or `dest` replaces its link in the chain,
 * which gives fan-out (several dests), fan-in (several nodes with one dest), routing (named dests and a route), loops
 * (a dest that is an earlier source), sinks (`dest: null`) and generators (`generate`, no source). A chain link cut by
 * an explicit neighbour is an error, not a queue nobody reads.
 */
import type { AnyNodeDefinition } from './definition.js';
import { SystemDefinitionError, SystemErrorCode } from './errors.js';
import { isPlainObject } from './json-values.js';
import { failQueueOf } from './recipe.js';
import type { NodeRecipe, NodeSpec } from './recipe.js';

/** The queue a linear system's input goes to: `START-to-<first>`. */
export function startQueueOf(first: string): string {
  return `START-to-${first}`;
}

/** The queue between two nodes of a chain, and (`to` = `END`) a chain's output: `<from>-to-<to>`. */
export function chainQueueOf(from: string, to: string): string {
  return `${from}-to-${to}`;
}

export interface SystemQueues {
  /** Queues nodes read that no node writes: where the system's input goes (`START-to-<first>` in a chain). */
  readonly inputs: readonly string[];
  /** Queues nodes write that no node reads: the system's results (`<last>-to-END` in a chain). */
  readonly outputs: readonly string[];
  /** The fail queues, one per node type. */
  readonly failures: readonly string[];
}

/** A node's queues in its recipe: its explicit source and dest, or its links in the chain. */
export function chainLinks(
  system: string,
  node: AnyNodeDefinition,
  previous: AnyNodeDefinition | undefined,
  next: AnyNodeDefinition | undefined,
): Pick<NodeRecipe, 'source' | 'dest'> {
  const type = node.name;
  let source: string | null;
  if (node.generate !== undefined) source = null;
  else if (node.source !== undefined) source = node.source as string;
  else source = previous === undefined ? startQueueOf(type) : chainQueueOf(previous.name, type);

  let dest: NodeRecipe['dest'];
  const given = node.dest;
  if (given === undefined) dest = [chainQueueOf(type, next === undefined ? 'END' : next.name)];
  else if (given === null) dest = null;
  else if (typeof given === 'string') dest = [given];
  else if (Array.isArray(given)) dest = [...(given as string[])];
  else if (isPlainObject(given)) {
    dest = Object.fromEntries(
      Object.entries(given).map(([key, queues]) => [
        key,
        typeof queues === 'string' ? [queues] : queues,
      ]),
    ) as Record<string, string[]>;
  } else {
    throw new SystemDefinitionError(
      SystemErrorCode.InvalidNodeOption,
      `system ${system}: node ${type}: dest must be a queue, a list of queues, named destinations, or null`,
      { nodeType: type, field: 'dest' },
    );
  }
  return { source, dest };
}

function queuesWritten(spec: NodeSpec): string[] {
  if (spec.dest.kind === 'fixed') return [...spec.dest.queues];
  if (spec.dest.kind === 'routed') return [...spec.dest.routes.values()].flat();
  return [];
}

/** Finds chain links cut by an explicit neighbour, and works out the system's input and output queues. */
export function checkChain(
  system: string,
  nodes: readonly AnyNodeDefinition[],
  specs: ReadonlyMap<string, NodeSpec>,
): SystemQueues {
  const read = new Set<string>();
  const written = new Set<string>();
  for (const spec of specs.values()) {
    if (spec.source !== null) read.add(spec.source);
    for (const queue of queuesWritten(spec)) written.add(queue);
  }
  nodes.forEach((node, index) => {
    const spec = specs.get(node.name) as NodeSpec;
    const previous = nodes[index - 1];
    const next = nodes[index + 1];
    if (
      previous !== undefined &&
      node.source === undefined &&
      spec.source !== null &&
      !written.has(spec.source)
    ) {
      throw new SystemDefinitionError(
        SystemErrorCode.BrokenChain,
        `system ${system}: node ${node.name} reads ${spec.source} (its link in the chain), but no node writes it: ` +
          `${previous.name} has an explicit dest. Give ${node.name} a source, or ${previous.name} a dest that includes it`,
        { nodeType: node.name, field: 'source' },
      );
    }
    if (next !== undefined && node.dest === undefined) {
      const queue = chainQueueOf(node.name, next.name);
      if (!read.has(queue)) {
        throw new SystemDefinitionError(
          SystemErrorCode.BrokenChain,
          `system ${system}: node ${node.name} writes ${queue} (its link in the chain), but no node reads it: ` +
            `${next.name} ${next.generate !== undefined ? 'is a generator' : 'has an explicit source'}. ` +
            `Give ${node.name} a dest`,
          { nodeType: node.name, field: 'dest' },
        );
      }
    }
  });
  return Object.freeze({
    inputs: Object.freeze([...read].filter((queue) => !written.has(queue))),
    outputs: Object.freeze([...written].filter((queue) => !read.has(queue))),
    failures: Object.freeze(nodes.map((node) => failQueueOf(node.name))),
  });
}
