/** The master writes to the same pino-shaped Logger as nodes and workers; the default writes nothing. */
export type { Logger } from '@monomyth/node';
export { noopLogger } from '@monomyth/node';
