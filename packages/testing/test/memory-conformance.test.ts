import { MemoryBroker, MemoryStreamAdapter } from '@monomyth/node/memory';
import { runStreamAdapterConformance } from '../src/conformance/index.js';

// One broker for the run: the suite reads through one adapter what it wrote through another.
const broker = new MemoryBroker();
const maxMessageBytes = 64 * 1024;
runStreamAdapterConformance(
  'in-memory',
  () => new MemoryStreamAdapter({ broker, maxMessageBytes }),
  {
    refusedMessage: () => ({ body: new Uint8Array(maxMessageBytes + 1) }),
  },
);
