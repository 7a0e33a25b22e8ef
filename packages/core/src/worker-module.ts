/** A worker's module and the flags its thread starts with. */
export interface WorkerModule {
  readonly filename: string;
  readonly execArgv: readonly string[];
}

/**
 * The worker `name` that lives beside the module at `callerUrl` (pass `import.meta.url`).
 * Compiled, it is `<name>.js` in the caller's folder, started with no flags (the process's may
 * hold export conditions that point at src/, or flags a worker refuses, such as --expose-gc); in
 * the CLI's bundle every module is the bundle, so that is the `<name>.js` the bundle ships beside
 * itself. Run from src/ (the tests, through the `@cairn/source` export condition), it is
 * `<name>-source.mjs`, which loads the worker's source through tsx with the same condition, so no
 * test needs a build.
 */
export function workerModule(callerUrl: string, name: string): WorkerModule {
  if (!callerUrl.endsWith('.ts')) return { filename: new URL(`./${name}.js`, callerUrl).href, execArgv: [] };
  return { filename: new URL(`./${name}-source.mjs`, callerUrl).href, execArgv: ['--conditions=@cairn/source'] };
}
