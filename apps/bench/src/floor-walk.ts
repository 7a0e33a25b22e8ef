import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '@cairn/core';
import { findExecutable } from './find-executable.js';

/** The C walk's source, kept beside the bench: apps/bench/floor/walk.c. */
export const WALK_C = fileURLToPath(new URL('../floor/walk.c', import.meta.url));

/** The same walk in plain Node: apps/bench/floor/walk.mjs. */
export const WALK_MJS = fileURLToPath(new URL('../floor/walk.mjs', import.meta.url));

/** What one walk printed: "entries N errors E bytes B xattr-bytes X". */
export interface WalkCount {
  readonly entries: number;
  readonly errors: number;
  readonly bytes: number;
  readonly xattrBytes: number;
}

const COUNT_LINE = /^entries (\d+) errors (\d+) bytes (\d+) xattr-bytes (\d+)$/m;

/** Reads the line walk.c and walk.mjs print; undefined when there is none. */
export function parseWalkCount(stdout: string): WalkCount | undefined {
  const match = COUNT_LINE.exec(stdout);
  if (match === null) return undefined;
  return { entries: Number(match[1]), errors: Number(match[2]), bytes: Number(match[3]), xattrBytes: Number(match[4]) };
}

/** The compiled C walk, or why there is none. */
export type CompiledWalk = { readonly executable: string; readonly compiler: string } | { readonly executable?: undefined; readonly reason: string };

/** Compilers tried in order; g++ is told that walk.c is C++ (it builds as both). */
const COMPILERS: readonly { readonly name: string; readonly args: (source: string, out: string) => string[] }[] = [
  { name: 'cc', args: (source, out) => ['-O2', '-o', out, source] },
  { name: 'gcc', args: (source, out) => ['-O2', '-o', out, source] },
  { name: 'clang', args: (source, out) => ['-O2', '-o', out, source] },
  { name: 'g++', args: (source, out) => ['-O2', '-x', 'c++', '-o', out, source] },
];

/**
 * Compiles walk.c with the first of cc, gcc, clang, g++ on PATH into `dir`/walk
 * (`-O2`). With no compiler, says so instead; throws CairnError ERR_IO when the
 * compiler there fails.
 */
export function compileWalk(dir: string): CompiledWalk {
  const out = join(dir, 'walk');
  for (const compiler of COMPILERS) {
    const file = findExecutable(compiler.name);
    if (file === undefined) continue;
    const args = compiler.args(WALK_C, out);
    const result = spawnSync(file, args, { encoding: 'utf8' });
    if (result.error !== undefined || result.status !== 0) {
      throw new CairnError('ERR_IO', `${compiler.name} ${args.join(' ')} failed: ${(result.error?.message ?? result.stderr).trim().split('\n').slice(-4).join(' ')}`);
    }
    const version = spawnSync(file, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0]?.trim() ?? '';
    return { executable: out, compiler: `${compiler.name} -O2${version === '' ? '' : ` (${version})`}` };
  }
  return { reason: `no C compiler on PATH (tried ${COMPILERS.map((c) => c.name).join(', ')}): the C walks are skipped (apt-get install gcc)` };
}
