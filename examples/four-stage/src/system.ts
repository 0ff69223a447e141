/**
 * The original monomyth's example, as a Monomyth system: four nodes in a chain, batch size 10.
 *
 *   START-to-TEST-NODE1 -> TEST-NODE1 (append "18") -> TEST-NODE2 (strip letters) -> TEST-NODE3 (multiply by 7)
 *     -> TEST-NODE4 (prefix "test ") -> TEST-NODE4-to-END
 *
 * Run it on a cluster with `monomyth-worker --system examples/four-stage/dist/system.js`.
 */
import { defineSystem } from '@monomyth/node';

export default defineSystem({
  name: 'four-stage',
  nodes: [
    { name: 'TEST-NODE1', batchSize: 10, transform: (input: string) => `${input}18` },
    {
      name: 'TEST-NODE2',
      batchSize: 10,
      transform: (value: string) => value.replace(/[^0-9]/g, ''),
    },
    // The digits can outgrow a double: multiply as a big integer, as the original did with Lisp's bignums.
    {
      name: 'TEST-NODE3',
      batchSize: 10,
      transform: (digits: string) => (BigInt(digits) * 7n).toString(),
    },
    { name: 'TEST-NODE4', batchSize: 10, transform: (product: string) => `test ${product}` },
  ],
});
