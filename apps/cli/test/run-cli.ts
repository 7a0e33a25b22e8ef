import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, onTestFinished } from 'vitest';
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
  return collect(spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: options.home, XDG_DATA_HOME: join(options.home, 'data'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
  }));
}

/**
 * Runs `sh -c script` (in `cwd`, default `home`) where `$CAIRN` stands for the built CLI, with HOME
 * and the default repository in `home`; `env` adds to that (e.g. CAIRN_REPO).
 */
export function shell(script: string, options: { home: string; cwd?: string; env?: Record<string, string> }): Promise<Run> {
  return collect(spawn('sh', ['-c', script], {
    cwd: options.cwd ?? options.home,
    env: { PATH: process.env['PATH'] ?? '', HOME: options.home, XDG_DATA_HOME: join(options.home, 'data'), CAIRN: `${process.execPath} ${CLI}`, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
}

/** A child's exit code and all it wrote, once it has ended. */
function collect(child: ChildProcessByStdio<null, Readable, Readable>): Promise<Run> {
  return new Promise((resolve, reject) => {
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
export function startCli(args: readonly string[], env: Record<string, string> = {}): ChildRun {
  return watchChild(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CAIRN_REPO: '', ...env } }));
}

/**
 * Starts a serving command (`cairn serve`, `cairn ui`) and waits until its output gives the address
 * `found` picks from it (all of stdout so far); rejects when the command ends first. With
 * `killAfterTest`, a test that fails before stopping it leaves none running.
 */
export async function startListening(args: readonly string[], env: Record<string, string>, found: (out: string) => string | undefined, options: { readonly killAfterTest?: boolean } = {}): Promise<{ url: string; run: ChildRun }> {
  const run = startCli(args, env);
  if (options.killAfterTest === true) {
    onTestFinished(() => {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    });
  }
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    run.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const address = found(out);
      if (address !== undefined) resolve(address);
    });
    void run.done.then((end) => reject(new Error(`cairn ${args.find((a) => !a.startsWith('-') && !a.includes('/')) ?? ''} ended before listening: ${end.stderr}`)));
  });
  return { url, run };
}

/** The address `cairn ui` prints (`cairn ui: URL`), once it has. */
export const uiAddress = (out: string): string | undefined => /^cairn ui: (\S+)$/m.exec(out)?.[1];

/** One message of `--json` output (docs/JSON.md). */
export type JsonMessage = { readonly type: string } & Record<string, unknown>;

/** Every line of `--json` output, each checked to be one JSON object with a string `type`. */
export function jsonLines(output: string): JsonMessage[] {
  const lines = output.split('\n');
  if (lines.pop() !== '') throw new Error(`JSON Lines output does not end with a newline: ${JSON.stringify(output.slice(-80))}`);
  return lines.map((line, i) => {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
      throw new Error(`line ${i + 1} of JSON Lines output is not an object with a type: ${line}`);
    }
    return value as JsonMessage;
  });
}

/** The result of a `--json` command: its `summary` line (which must be the last line), without `type`. */
export function jsonSummary(stdout: string): unknown {
  const messages = jsonLines(stdout);
  const last = messages.at(-1);
  if (last?.type !== 'summary') throw new Error(`the last line of --json output is not the summary: ${JSON.stringify(last)}`);
  if (messages.filter((m) => m.type === 'summary').length !== 1) throw new Error('--json output has more than one summary line');
  const { type: _type, ...result } = last;
  return result;
}

/** The items a listing command's `--json` printed (lines of type `kind`, each holding the item under `kind`), checked against the summary's count. */
export function jsonItems(stdout: string, kind: string): unknown[] {
  const messages = jsonLines(stdout);
  const items = messages.filter((m) => m.type === kind).map((m) => m[kind]);
  const count = (jsonSummary(stdout) as { count?: unknown }).count;
  if (count !== items.length) throw new Error(`--json listed ${items.length} ${kind} lines but its summary counts ${String(count)}`);
  return items;
}

/** The error line a failed `--json` command wrote on stderr (its last line). */
export function jsonError(stderr: string): { readonly type: 'error'; readonly error: { readonly code: string; readonly message: string; readonly hint?: string } } {
  const last = jsonLines(stderr).at(-1);
  if (last?.type !== 'error') throw new Error(`the last line of stderr is not an error line: ${stderr}`);
  return last as never;
}

/**
 * A backup whose storage was killed under it either failed and stored nothing (exit 1, `failure`
 * on stderr, no snapshot), or, when the kill came after its snapshot landed (a loaded machine),
 * stands: exit 0, one snapshot, at most a warning that its lease file was left. Returns how many
 * snapshots `repoFolder` holds.
 */
export async function expectAllOrNothing(run: Run, repoFolder: string, failure: RegExp): Promise<number> {
  const stored = (await readdir(join(repoFolder, 'snapshots'))).length;
  if (run.code === 0) {
    expect(stored).toBe(1);
    expect(run.stderr).not.toMatch(/^cairn:/m);
    if (run.stderr.includes('locks/')) expect(run.stderr).toMatch(/^warning: the lease file locks\/lease-\S+ could not be removed/m);
  } else {
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(failure);
    expect(stored).toBe(0);
  }
  return stored;
}

/** The daemon's (and watch's) JSON Lines log under `home`'s state folder, one object a line; [] before it exists. */
export async function readDaemonLog(home: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(home, 'state', 'cairn', 'daemon.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Polls `test` every `everyMs` until it holds; throws naming `what` after `ms`. */
export async function until(what: string, test: () => Promise<boolean>, ms = 20_000, everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
