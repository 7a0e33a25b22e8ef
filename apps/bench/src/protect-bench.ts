import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backup, createProtector, initRepository, openRepository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { createPrng } from './prng.js';
import { median } from './stats.js';

/** The targets: one 10 MB file in a repository of 100k files. */
export const PROTECT_TARGETS = { cliMs: 300, apiMs: 50 } as const;

/** What runProtectBench needs. */
export interface ProtectBenchOptions {
  /** Where the tree and the repository go (a tmpfs keeps the disk out of it). */
  readonly work: string;
  /** Small files in the repository besides the big one. */
  readonly files: number;
  /** The protected file's size in bytes. */
  readonly bigBytes: number;
  /** Timed calls of each kind. */
  readonly runs: number;
  /** The CLI to start (apps/cli/dist/cairn.js). */
  readonly cli: string;
  /** Keep the tree and repository a previous run with the same sizes made (else they are made anew). */
  readonly reuse: boolean;
  readonly log: (line: string) => void;
}

/** Milliseconds of each timed call. */
export interface ProtectBenchResult {
  readonly setupSeconds: number;
  readonly openMs: number;
  /** The first protect of the Protector (it reads the snapshot list and removes stale temporaries once). */
  readonly apiFirstMs: number;
  /** Protect after a change of a few bytes (read and chunked whole, one chunk stored). */
  readonly apiChangedMs: readonly number[];
  /** Protect of the file unchanged since the last protect (its parent's chunks are reused). */
  readonly apiUnchangedMs: readonly number[];
  /** `cairn protect <file>` as a process, after a change of a few bytes. */
  readonly cliChangedMs: readonly number[];
  /** `cairn protect <file>` as a process, the file unchanged since the last protect. */
  readonly cliUnchangedMs: readonly number[];
  /** `cairn --version`: what starting the process costs. */
  readonly cliStartMs: readonly number[];
}

/** The tree: `files` files of 40–200 bytes in folders of 250, and data/big.bin. */
async function makeTree(root: string, files: number, bigBytes: number): Promise<void> {
  for (let i = 0; i < files; i += 1) {
    const dir = join(root, `d${String(Math.floor(i / 250)).padStart(4, '0')}`);
    if (i % 250 === 0) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i % 250}.txt`), `file ${i} `.repeat(4 + (i % 20)));
  }
  await mkdir(join(root, 'data'), { recursive: true });
  const big = join(root, 'data', 'big.bin');
  const bytes = new Uint8Array(bigBytes);
  createPrng(17).fill(bytes);
  await writeFile(big, bytes);
}

/** Changes 8 bytes of the file at an offset that moves with `n` (as an editor's small change does). */
async function touch(file: string, size: number, n: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const edit = Buffer.from(`edit${String(n).padStart(4, '0')}`);
    await handle.write(edit, 0, edit.length, Math.floor((((n * 7919) % 1000) / 1000) * (size - 16)));
  } finally {
    await handle.close();
  }
}

/**
 * Times protect of one big file in a repository holding `files` other files: through the API
 * (one Protector, the repository kept open) after a small change and unchanged, and through the
 * CLI (a process per call), beside the CLI's bare start.
 */
export async function runProtectBench(options: ProtectBenchOptions): Promise<ProtectBenchResult> {
  const started = Date.now();
  const tree = join(options.work, 'tree');
  const repoPath = join(options.work, 'repo');
  const big = join(tree, 'data', 'big.bin');
  const made = join(options.work, `made-${options.files}-${options.bigBytes}`);
  if (!options.reuse || !existsSync(made)) {
    await rm(options.work, { recursive: true, force: true });
    options.log(`making ${options.files} files and a ${(options.bigBytes / 1e6).toFixed(0)} MB file in ${tree}`);
    await makeTree(tree, options.files, options.bigBytes);
    options.log('backing them up');
    await backup(await initRepository(createLocalBackend(repoPath)), { source: createLocalSource(), paths: [tree] });
    await writeFile(made, '');
  }
  const setupSeconds = (Date.now() - started) / 1000;

  let t = performance.now();
  const repo = await openRepository(createLocalBackend(repoPath));
  const openMs = performance.now() - t;
  const protector = createProtector(repo, { source: createLocalSource(), target: createLocalTarget, tool: 'cairn-bench' });
  const timed = async (): Promise<number> => {
    const at = performance.now();
    const handle = await protector.protect([big], { reason: 'bench' });
    await handle.commit();
    return performance.now() - at;
  };
  const apiFirstMs = await timed();
  const apiChangedMs: number[] = [];
  const apiUnchangedMs: number[] = [];
  for (let i = 0; i < options.runs; i += 1) {
    await touch(big, options.bigBytes, i);
    apiChangedMs.push(await timed());
    apiUnchangedMs.push(await timed());
  }
  await protector.close();

  const cliStartMs: number[] = [];
  const cliChangedMs: number[] = [];
  const cliUnchangedMs: number[] = [];
  for (let i = 0; i < options.runs; i += 1) {
    t = performance.now();
    const version = spawnSync(process.execPath, [options.cli, '--version'], { encoding: 'utf8' });
    cliStartMs.push(performance.now() - t);
    if (version.status !== 0) throw new Error(`${options.cli} --version failed: ${version.stderr}`);
    await touch(big, options.bigBytes, 1000 + i);
    t = performance.now();
    const run = spawnSync(process.execPath, [options.cli, '--repo', repoPath, 'protect', big, '--reason', 'bench'], { encoding: 'utf8' });
    cliChangedMs.push(performance.now() - t);
    if (run.status !== 0) throw new Error(`cairn protect failed: ${run.stderr}`);
    t = performance.now();
    const again = spawnSync(process.execPath, [options.cli, '--repo', repoPath, 'protect', big, '--reason', 'bench'], { encoding: 'utf8' });
    cliUnchangedMs.push(performance.now() - t);
    if (again.status !== 0) throw new Error(`cairn protect failed: ${again.stderr}`);
  }
  return { setupSeconds, openMs, apiFirstMs, apiChangedMs, apiUnchangedMs, cliChangedMs, cliUnchangedMs, cliStartMs };
}

/** The median, the least and the largest of some milliseconds: "41 ms (min 30, max 63)" (on shared cores the least is the closest to an idle machine). */
export function msText(values: readonly number[]): string {
  return `${(median(values) ?? 0).toFixed(0)} ms (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)})`;
}

/** True when the work folder looks like one this bench made (refuses to wipe anything else). */
export function isBenchFolder(path: string): boolean {
  return !existsSync(path) || existsSync(join(path, 'repo', 'config')) || existsSync(join(path, 'tree'));
}
