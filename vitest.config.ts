import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The container test builds an image: it runs on its own, `npm run test:docker` (vitest.docker.config.ts).
    exclude: [...configDefaults.exclude, 'test/docker/**'],
    // End-to-end tests start the compiled server: build it once before any test file runs.
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
