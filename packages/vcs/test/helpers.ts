import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { readWorkingCopy, workingCopyAt } from '@cairn/vcs';
import type { VcsStatus, WorkingCopy } from '@cairn/vcs';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh folder under the OS temp dir, removed after the importing test file has run. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-vcs-'));
  made.push(dir);
  return dir;
}

// Every VCS runs with a fixed identity and no user or system configuration of this machine.
const home = execFileSync('mktemp', ['-d', join(tmpdir(), 'cairn-vcs-home-XXXXXX')], { encoding: 'utf8' }).trim();
made.push(home);
Object.assign(process.env, {
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: join(home, '.gitconfig-none'),
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  HGRCPATH: '',
  HGUSER: 'Test Author <author@example.com>',
});

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export function sh(cwd: string, command: string, ...args: string[]): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs git with the default branch pinned to main. */
export function git(cwd: string, ...args: string[]): string {
  return sh(cwd, 'git', '-c', 'init.defaultBranch=main', '-c', 'protocol.file.allow=always', ...args);
}

/** Runs hg without any user configuration. */
export function hg(cwd: string, ...args: string[]): string {
  return sh(cwd, 'hg', ...args);
}

/** Writes files (path -> content) below `root`, creating folders. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** Every file below `root` (path -> content), without VCS data folders and the folders named in `skip`. */
export async function readTree(root: string, skip: readonly string[] = []): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (['.git', '.hg', '.svn'].includes(entry.name) || skip.includes(path)) continue;
      if (entry.isDirectory()) await walk(join(dir, entry.name), path);
      else files.set(path, await readFile(join(dir, entry.name), 'utf8'));
    }
  };
  await walk(root, '');
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Copies the named files (relative paths) from one folder to another: what a restore of stored files does. */
export async function layFiles(from: string, to: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    await mkdir(dirname(join(to, path)), { recursive: true });
    await cp(join(from, path), join(to, path));
  }
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The working copy whose top folder is `dir` (an error when there is none). */
export async function copyAt(dir: string): Promise<WorkingCopy> {
  const copy = await workingCopyAt(dir);
  if (copy === null) throw new Error(`no working copy at ${dir}`);
  return copy;
}

/** The state of the working copy at `dir`, as readWorkingCopy reads it. */
export async function readCopy(dir: string): Promise<VcsStatus> {
  return readWorkingCopy(await copyAt(dir));
}
