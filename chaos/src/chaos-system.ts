/**
 * The four-stage example as the workers of the chaos run load it: the same nodes, except that TEST-NODE3, on the
 * stall marker input, first busy-loops for MONOMYTH_CHAOS_STALL_MS ms. A busy loop, not a sleep: it blocks the worker's
 * event loop as a CPU-heavy transform does, which is the stall the scenario is about. Without the variable (or with
 * 0) the system is the example, unchanged.
 *
 *   monomyth-worker --system chaos/dist/chaos-system.js
 */
import { defineSystem } from '@monomyth/node';
import type { AnyNodeDefinition } from '@monomyth/node';
import fourStage from '@monomyth/example-four-stage/dist/system.js';
import { STALL_DIGITS, STALL_MS_ENV } from './stall-marker.js';

const stallMs = Number(process.env[STALL_MS_ENV] ?? 0);

function stalling(node: AnyNodeDefinition): AnyNodeDefinition {
  const transform = node.transform;
  if (node.name !== 'TEST-NODE3' || !(stallMs > 0) || transform === undefined) return node;
  return {
    ...node,
    transform: (value: unknown, context: never) => {
      if (value === STALL_DIGITS) {
        const until = Date.now() + stallMs;
        while (Date.now() < until) {
          // Spin: the event loop is blocked for the whole time, timers and sockets included.
        }
      }
      return transform(value, context);
    },
  } as AnyNodeDefinition;
}

export default defineSystem({
  name: 'four-stage-chaos',
  nodes: fourStage.types.map((type) => stalling(fourStage.definition(type))),
});
