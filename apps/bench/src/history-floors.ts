import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CairnError } from '@cairn/core';
import { diskUsage } from './disk-usage.js';

/** What one floor stored and how long it took. */
export interface HistoryFloor {
  /** What was measured, as a table label. */
  readonly label: string;
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * The two floors a history's repository size is read against: git, with every version
 * committed in order and `git gc` run once at the end (size of the whole git folder), and
 * `xz -9` of one tar of all version folders (the density of one stream with a 64 MiB window).
 */
export async function measureHistoryFloors(historyDir: string, versions: readonly string[], workDir: string, log: (line: string) => void): Promise<HistoryFloor[]> {
  const floors = [await gitFloor(historyDir, versions, join(workDir, 'git-floor')), await xzFloor(historyDir, versions)];
  for (const floor of floors) log(`floor: ${floor.label}: ${floor.bytes} bytes in ${floor.seconds.toFixed(1)} s`);
  return floors;
}

/** Commits each version folder in order into one bare git folder (ignored files too), then `git gc`. */
async function gitFloor(historyDir: string, versions: readonly string[], gitDir: string): Promise<HistoryFloor> {
  await rm(gitDir, { recursive: true, force: true });
  await mkdir(gitDir, { recursive: true });
  const started = performance.now();
  const git = async (workTree: string | undefined, ...args: string[]): Promise<void> => {
    const tree = workTree === undefined ? [] : [`--work-tree=${workTree}`];
    await run('git', [`--git-dir=${gitDir}`, ...tree, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'core.autocrlf=false', ...args]);
  };
  await git(undefined, 'init', '--quiet', '--bare', '--template=');
  for (const version of versions) {
    const tree = join(historyDir, version);
    await git(tree, 'add', '--all', '--force', '.');
    await git(tree, 'commit', '--quiet', '--allow-empty', '--no-verify', '-m', version);
  }
  await git(undefined, 'gc', '--quiet');
  const bytes = await diskUsage(gitDir);
  const seconds = (performance.now() - started) / 1000;
  await rm(gitDir, { recursive: true, force: true });
  return { label: `git gc, ${versions.length} commits`, bytes, seconds };
}

/** Bytes of `tar -c <versions…> | xz -9 -T0`. */
async function xzFloor(historyDir: string, versions: readonly string[]): Promise<HistoryFloor> {
  const started = performance.now();
  const tar = spawn('tar', ['-cf', '-', '-C', historyDir, '--', ...versions], { stdio: ['ignore', 'pipe', 'pipe'] });
  const xz = spawn('xz', ['-9', '-T0', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  tar.stdout.pipe(xz.stdin);
  let bytes = 0;
  xz.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  await Promise.all([finished(tar, 'tar'), finished(xz, 'xz -9')]);
  return { label: 'xz -9 of one tar of all versions', bytes, seconds: (performance.now() - started) / 1000 };
}

/** Runs a command to its end; ERR_IO with the end of its stderr when it fails. */
async function run(file: string, args: readonly string[]): Promise<void> {
  await finished(spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] }), `${file} ${args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`);
}

/** Resolves when `child` exits with 0; ERR_IO naming `what` otherwise. */
function finished(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new CairnError('ERR_IO', `${what} cannot start: ${error.message}`, { cause: error })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new CairnError('ERR_IO', `${what} failed (exit code ${String(code)}): ${stderr.trim().split('\n').slice(-4).join('\n')}`));
    });
  });
}
