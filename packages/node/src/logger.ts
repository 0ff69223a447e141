/**
 * The logger nodes and adapters write to: @monomyth/mmop's (pino's shape; the default writes nothing), named here for
 * the data plane's own modules and re-exported to users by index.ts.
 */
export { noopLogger } from '@monomyth/mmop';
export type { LogFn, Logger } from '@monomyth/mmop';
