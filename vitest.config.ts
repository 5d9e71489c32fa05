import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['api/**/*.test.ts', 'geodata/**/*.test.ts', 'web/**/*.test.ts', 'sql/**/*.test.ts', 'scripts/**/*.test.ts'],
    globalSetup: ['api/testing/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: more workers only contend for the same PostgreSQL.
    maxWorkers: 2,
  },
});
