/** Where a program that runs cairn's code as a script (not a module) puts its own `import`. */
export const IMPORT_HOOK: unique symbol = Symbol.for('cairn.import');

/**
 * The module `specifier` (a package or a built-in), loaded by `load` (the caller's own
 * `() => import(specifier)`, so that it resolves from the caller's package), for the few loaded
 * on first use that may be ES modules (`require` cannot load one with a top-level await). Code
 * compiled as a script through node:vm, as the CLI's bundle is (apps/cli/src/code-cache.ts), has
 * no `import()` without an experimental flag: the launcher that runs it puts its own at
 * IMPORT_HOOK, which then loads `specifier` from the launcher's folder, the bundle's.
 */
export function importModule<T>(specifier: string, load: () => Promise<T>): Promise<T> {
  const hook = (globalThis as { [IMPORT_HOOK]?: (specifier: string) => Promise<unknown> })[IMPORT_HOOK];
  return hook === undefined ? load() : (hook(specifier) as Promise<T>);
}
