import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { watchChild } from '../../../packages/repository/test/lifecycle-helpers.js';
import type { ChildRun } from '../../../packages/repository/test/lifecycle-helpers.js';

/** The built CLI (the test command builds it before the tests run). */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

/** What a cairn process did. */
export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cairn args…` (in `cwd` when given) with an environment that points HOME and the default repository into `home`. */
export function cairn(args: readonly string[], options: { home: string; env?: Record<string, string>; uid?: number; gid?: number; cwd?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: options.home, XDG_DATA_HOME: join(options.home, 'data'), ...options.env };
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const made: string[] = [];

/** A temporary folder everybody may write (tests run some processes as another user), removed afterwards. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cli-'));
  await chmod(dir, 0o777);
  made.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Starts `cairn args…` as a real child process with the test process's environment (no default repository), to stop or race it. */
export function startCli(args: readonly string[]): ChildRun {
  return watchChild(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CAIRN_REPO: '' } }));
}
