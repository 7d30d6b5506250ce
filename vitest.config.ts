import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts', 'scripts/**/*.test.ts', 'demo/**/*.test.ts', 'e2e/install/**/*.test.ts', 'e2e/bench/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
