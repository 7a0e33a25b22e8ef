import { createRequire } from 'node:module';

/**
 * A third-party module loaded on first use, not when the program starts: `cairn version` or a
 * backup need not load the tar, zip, diff, cron and progress-bar libraries that a few commands use
 * (each costs the CLI's start 5–15 ms). `from` is the caller's `import.meta.url`, so the module is
 * resolved from the package that depends on it (as its import would be); the module's CommonJS
 * entry is loaded, synchronously, once.
 */
export function lazyModule<T>(from: string, specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= createRequire(from)(specifier) as T;
    return loaded;
  };
}
