// `npm run test:docker`: builds the image and runs it as users do. Slow (an image build), so apart from `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/docker/**/*.test.ts'],
    // The image compiles its own dist/; nothing to build on the host first.
    pool: 'forks',
    testTimeout: 120_000,
    // beforeAll builds the image: better-sqlite3 compiles from source where no prebuilt binary is reachable.
    hookTimeout: 30 * 60_000,
  },
});
