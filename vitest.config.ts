import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources: the "@cairn/source" export condition
// points each workspace package at its src/index.ts. Vitest hands these conditions to the test
// processes' Node as well; "module" is left out (as Vitest's own default does), or Node would load
// the AWS SDK's bundler-only ES build (extension-less imports) instead of the one it picks itself.
const conditions = ['@cairn/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at once even on 2 cores (Vitest's default there is one): most tests wait on
    // the CLI processes, sshd, git or chromium they start. The whole suite on this machine kind:
    // 565 s with two, 1,053 s with one, the same 1,098 tests passing.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
