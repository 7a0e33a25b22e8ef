import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { backup, check, initRepository, openRepository, restore } from '@cairn/repository';
import type { BackupResult, Repository } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

/** Small chunks and small packs, so a few hundred KiB make many packs. */
export const SMALL = { chunker: { min: 1024, avg: 4096, max: 16384 }, packSize: 32 * 1024 } as const;

/** A new repository with small chunks and packs at `<work>/repo`. */
export async function smallRepo(work: string): Promise<Repository> {
  return initRepository(createLocalBackend(join(work, 'repo')), SMALL);
}

/** Opens `<work>/repo` again (a fresh view, as another process would have). */
export function reopen(work: string): Promise<Repository> {
  return openRepository(createLocalBackend(join(work, 'repo')));
}

/** Writes `count` files of pseudo-random bytes (sizes vary with the seed) into `dir`; returns their contents by name. */
export async function writeFiles(dir: string, seed: number, count: number, size = 20_000): Promise<Map<string, Buffer>> {
  await mkdir(dir, { recursive: true });
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i += 1) {
    const bytes = seededBytes(size + ((seed * 7919 + i * 104_729) % size), seed * 1000 + i + 1);
    const name = `f${i}.bin`;
    await writeFile(join(dir, name), bytes);
    files.set(name, bytes);
  }
  return files;
}

/** Backs `dir` up. */
export function backupDir(repo: Repository, dir: string, options: { tags?: string[]; time?: Date } = {}): Promise<BackupResult> {
  return backup(repo, { source: createLocalSource(), paths: [dir], ...options });
}

/** SHA-256 of every file below `dir`, by relative path. */
export async function fileHashes(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await visit(path);
      else if (entry.isFile()) out.set(path, createHash('sha256').update(await readFile(join(dir, path))).digest('hex'));
    }
  };
  await visit('');
  return out;
}

/** Restores a snapshot into a new temp folder and returns the hashes of what it wrote (below the snapshot's root entry `name`). */
export async function restoredHashes(repo: Repository, snapshotId: string, name: string): Promise<Map<string, string>> {
  const out = await tempDir('cairn-restore-');
  const result = await restore(repo, snapshotId, { target: createLocalTarget(out) });
  if (result.problems.length > 0) throw new Error(`restore of ${snapshotId} had problems: ${JSON.stringify(result.problems)}`);
  return fileHashes(join(out, name));
}

/** Runs check (reading every byte) on a fresh view and returns its problems. */
export async function checkProblems(work: string): Promise<string[]> {
  const result = await check(await reopen(work), { readData: true });
  return result.problems.map((p) => p.message);
}

/** Names of the files in one folder of the repository (empty when it does not exist). */
export async function repoFiles(work: string, folder: string): Promise<string[]> {
  try {
    return (await readdir(join(work, 'repo', folder))).filter((name) => !name.startsWith('.'));
  } catch {
    return [];
  }
}

/** Every pack file name in the repository. */
export async function packFiles(work: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of await repoFiles(work, 'data')) out.push(...(await repoFiles(work, join('data', sub))));
  return out.sort();
}

/** What engine-process.ts does: a backup of local paths, or a prune with no grace and no unused space allowed. */
export type EngineOp = (
  | { readonly op: 'backup'; readonly repo: string; readonly paths: readonly string[]; readonly tags: readonly string[]; readonly time: string; readonly hostname?: string }
  | { readonly op: 'prune'; readonly repo: string }
) & { /** The password of an encrypted repository. */ readonly password?: string };

/** What a child process printed, and how it ended. */
export interface ChildEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running child process (to stop or race) and what it printed once it ends. */
export interface ChildRun {
  readonly child: ChildProcess;
  readonly done: Promise<ChildEnd>;
}

/** Collects a child's output until it ends. */
export function watchChild(child: ChildProcess): ChildRun {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<ChildEnd>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Starts engine-process.ts from source (tsx, the `@cairn/source` condition): no build is needed. */
export function startEngine(op: EngineOp): ChildRun {
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = fileURLToPath(new URL('./engine-process.ts', import.meta.url));
  return watchChild(spawn(process.execPath, ['--import', loader, '--conditions=@cairn/source', script, JSON.stringify(op)], { stdio: ['ignore', 'pipe', 'pipe'] }));
}
