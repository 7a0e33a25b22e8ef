import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources: the "@cairn/source" export condition
// points each workspace package at its src/index.ts.
const conditions = ['@cairn/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
