import { defineConfig } from 'vitest/config';

/** The chaos run's own unit tests (`pnpm --filter @monomyth/chaos test`); the run itself is `pnpm chaos`. */
export default defineConfig({
  test: { include: ['src/**/*.test.ts'] },
});
