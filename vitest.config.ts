import { defineConfig } from 'vitest/config';

// Root suites: db, collector, API and cross-package tests. Dashboard unit tests run from
// apps/dashboard (SvelteKit's plugin resolves paths from the working directory).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'db/**/*.test.ts', 'apps/collector/**/*.test.ts', 'apps/zhf/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
