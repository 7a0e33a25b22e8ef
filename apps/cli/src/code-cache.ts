import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { defaultCacheDir } from '@cairn/core';
import { putBackHeapFlags } from './heap-flags.js';

/**
 * Compiled code kept between runs of the installed `cairn` (Node 20 has no compile cache of its
 * own for modules): the bundle is a CommonJS script compiled through `vm.Script`, with V8's code
 * cache of the previous run of the same command. A run then skips most of the parsing and
 * compiling of the 1.2 MB bundle: `cairn --version` 0.12 → 0.08 s, 30-45 ms off every command
 * (benchmarks/BENCHMARKS.md, issue 15).
 *
 * The cache is one file per command (`backup`, `restore`, …: each compiles its own functions),
 * in a folder named by the Node version, the architecture and the bundle's size and change time,
 * under `$XDG_CACHE_HOME/cairn/code` (see defaultCacheDir). V8 checks a cache against its own
 * version, its flags and the source's length, and compiles from source when it does not match;
 * the folder's name is what keeps a rebuilt bundle of the same length from meeting old code.
 * A run without a usable cache writes one as it exits, with the code it compiled by then.
 * Nothing here can fail a command: a cache that cannot be read or written is left alone.
 * CAIRN_CODE_CACHE=off turns it off.
 */

/** How the script was compiled: with a cache V8 accepted, with one it refused, or with none. */
export type CodeCacheUse = 'accepted' | 'rejected' | 'none';

/** The wrapper Node's CommonJS loader puts around a module's source. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

/** A command's name among the arguments: the first that looks like one (else `default`). */
function commandOf(args: readonly string[]): string {
  return args.find((arg) => /^[a-z][a-z-]{0,19}$/.test(arg)) ?? 'default';
}

/**
 * The file of the compiled code of `script` for the command in `args`, or null when
 * CAIRN_CODE_CACHE=off or the script cannot be looked at.
 */
export function codeCacheFile(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string | null {
  if (env['CAIRN_CODE_CACHE'] === 'off') return null;
  try {
    const { size, mtimeMs } = statSync(script);
    const version = `node${process.versions.node}-v8-${process.versions.v8}-${process.arch}-${size}-${Math.trunc(mtimeMs)}`;
    return join(defaultCacheDir(env), 'code', version, `${commandOf(args)}.v8`);
  } catch {
    return null;
  }
}

/**
 * Runs the CommonJS script `file` as Node would load it (its own require, module, __filename and
 * __dirname), compiled with the code cached in `cacheFile`; when that is missing or refused,
 * writes the code compiled by the end of the run there as the process exits (and removes the
 * caches of other versions of the script). Returns how the cache was used.
 */
export function runWithCodeCache(file: string, cacheFile: string | null): CodeCacheUse {
  const source = readFileSync(file, 'utf8');
  const cachedData = cacheFile === null ? undefined : readIfThere(cacheFile);
  // A first line `#!…` is not JavaScript inside the wrapper: it becomes an empty comment line.
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  const script = new Script(`${WRAP_HEAD}${body}${WRAP_TAIL}`, { filename: file, ...(cachedData === undefined ? {} : { cachedData }) });
  const use: CodeCacheUse = cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  if (cacheFile !== null && use !== 'accepted') process.once('exit', () => writeCodeCache(script, cacheFile));
  const main = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  const module = { exports: {}, filename: file, id: '.', loaded: false };
  main.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return use;
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the script's compiled code to `file` (a new file renamed over it), and drops the other versions' folders. */
function writeCodeCache(script: Script, file: string): void {
  try {
    // V8 refuses a cache made under other flags than the next run's: the backup's limits on the
    // heap (heap-flags.ts) change two, so they are put back first (the process is ending).
    putBackHeapFlags();
    const data = script.createCachedData();
    const folder = dirname(file);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, file);
    const versions = dirname(folder);
    for (const name of readdirSync(versions)) {
      if (name !== basename(folder)) rmSync(join(versions, name), { recursive: true, force: true });
    }
  } catch {
    // A cache is an optimization: a full disk or a read-only home only costs the next run its compile.
  }
}
