import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests start real daemons on fixed loopback port ranges; files run in separate forks,
    // one at a time per worker pair, so the 2-core CI machine is not oversubscribed.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
