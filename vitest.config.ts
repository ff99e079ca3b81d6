import { defineConfig } from 'vitest/config';

// Unit tests live beside the source (*.test.ts); integration and e2e tests under test/.
// The global setup makes sure real Redis, Postgres and Kafka answer before any test runs.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
