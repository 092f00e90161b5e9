import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Servers on real sockets: keep files in separate workers, but do not oversubscribe 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
