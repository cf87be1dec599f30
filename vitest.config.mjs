// Vitest runs only the TypeScript unit tests of js/src's pure functions;
// tests/js/*.test.mjs belong to Node's own test runner (node --test tests/js/).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['js/test/**/*.test.ts'],
    environment: 'node',
  },
});
