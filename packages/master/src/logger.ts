/** The master writes to the same pino-shaped Logger as nodes and workers; the default writes nothing. */
export type { Logger } from '@monomyth/mmop';
export { noopLogger } from '@monomyth/mmop';
