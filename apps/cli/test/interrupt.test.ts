import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairn, CLI, jsonSummary, tempDir } from './run-cli.js';

/** Every file below `dir`, recursively (relative names). */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('an interrupted backup', () => {
  it('stops on SIGINT with no snapshot, indexes the packs it wrote, leaves no temp file, and the next backup reuses them', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    const data = join(home, 'data');
    await mkdir(data);
    // 160 MB of incompressible data: long enough to interrupt after its first packs.
    for (let i = 0; i < 40; i++) await writeFile(join(data, `f${i}.bin`), randomBytes(4 * 1024 * 1024));
    expect((await cairn(['init', '-r', repo], { home })).code).toBe(0);

    const child = spawn(process.execPath, [CLI, 'backup', '-q', '-r', repo, data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Interrupt once the first pack is on disk.
    for (let tries = 0; tries < 600; tries++) {
      const packs = (await allFiles(join(repo, 'data'))).filter((f) => !f.includes('.tmp-'));
      if (packs.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/interrupted/);

    const files = await allFiles(repo);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('snapshots/'))).toEqual([]);
    const indexFiles = files.filter((f) => f.startsWith('index/'));
    expect(indexFiles.length).toBeGreaterThan(0);

    const check = await cairn(['check', '-r', repo, '--json'], { home });
    expect(check.code).toBe(0);
    const checked = jsonSummary(check.stdout) as { problems: unknown[]; notes: string[] };
    expect(checked.problems).toEqual([]);
    expect(checked.notes.filter((n) => n.includes('in no index'))).toEqual([]);

    const again = await cairn(['backup', '-r', repo, data, '--json'], { home });
    expect(again.code).toBe(0);
    const summary = (jsonSummary(again.stdout) as { summary: { bytesAdded: number; bytesRead: number } }).summary;
    expect(summary.bytesRead).toBe(40 * 4 * 1024 * 1024);
    expect(summary.bytesAdded).toBeLessThan(summary.bytesRead - 8 * 1024 * 1024); // at least the first pack was reused
    expect((await cairn(['check', '-r', repo, '--read-data'], { home })).code).toBe(0);
  });
});

/** The names in the repository's locks/ folder (which goes when it is empty). */
async function lockFiles(repo: string): Promise<string[]> {
  return readdir(join(repo, 'locks')).catch(() => []);
}

/**
 * Runs `cairn args…` and interrupts it once it holds its lease (prune: its exclusive lock): it is
 * then past its start and under way. It is frozen with SIGSTOP first, so the Ctrl-C lands mid-run however fast the machine is.
 */
async function interruptWhenLocked(args: readonly string[], repo: string, home: string, lock: 'lease' | 'exclusive'): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', HOME: home } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  let done = false;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => ((done = true), resolve(code))));
  for (let tries = 0; tries < 6000 && !done; tries++) {
    if ((await lockFiles(repo)).some((name) => name.startsWith(`${lock}-`))) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  child.kill('SIGSTOP');
  child.kill('SIGINT');
  child.kill('SIGCONT');
  return { code: await exited, stderr };
}

describe('an interrupted restore or check', () => {
  const state = { home: '', repo: '', data: '', snapshot: '' };

  // One repository for the three tests (tempDir's folders go after each test).
  beforeAll(async () => {
    state.home = await mkdtemp(join(tmpdir(), 'cairn-interrupt-'));
    state.repo = join(state.home, 'repo');
    state.data = join(state.home, 'data');
    await mkdir(state.data);
    // 160 MB of incompressible data: a restore or a check --read-data of it takes a while.
    for (let i = 0; i < 40; i++) await writeFile(join(state.data, `f${i}.bin`), randomBytes(4 * 1024 * 1024));
    expect((await cairn(['init', '-r', state.repo], { home: state.home })).code).toBe(0);
    const backup = await cairn(['backup', '-q', '--json', '-r', state.repo, state.data], { home: state.home });
    expect(backup.code).toBe(0);
    state.snapshot = (jsonSummary(backup.stdout) as { id: string }).id;
  }, 120_000);

  afterAll(async () => {
    if (state.home !== '') await rm(state.home, { recursive: true, force: true });
  });

  /** The repository checks clean and holds no lock file: the interrupted command left nothing behind. */
  async function expectClean(): Promise<void> {
    // No lease or lock is left. A prune stopped after it marked packs leaves its deletion record
    // (locks/pending-…): that is repository state, which the next prune carries out.
    expect((await lockFiles(state.repo)).filter((name) => !name.startsWith('pending-'))).toEqual([]);
    const check = await cairn(['check', '-r', state.repo, '--json'], { home: state.home });
    expect(check.code).toBe(0);
    expect((jsonSummary(check.stdout) as { problems: unknown[] }).problems).toEqual([]);
  }

  it('a restore stops on SIGINT with exit 1 and one line, leaves no temporary file in the target, and the repository clean', async () => {
    const target = join(state.home, 'out');
    const run = await interruptWhenLocked(['restore', 'latest', '-r', state.repo, '-t', target], state.repo, state.home, 'lease');
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^cairn: restore interrupted/)]);
    expect((await allFiles(target)).filter((f) => f.includes('.cairn-'))).toEqual([]);
    await expectClean();
    // The next restore completes: whatever the interrupted one wrote is overwritten.
    expect((await cairn(['restore', 'latest', '-r', state.repo, '-t', target], { home: state.home })).code).toBe(0);
    expect((await allFiles(join(target, 'data'))).length).toBe(40);
  }, 120_000);

  it('a device restore stops on SIGINT with exit 1 and one line, leaves the simulated board as it was, and the repository clean', async () => {
    const board = join(state.home, 'board');
    const run = await interruptWhenLocked(['device', 'restore', 'latest', '-r', state.repo, '--port', 'sim', '--sim-root', board], state.repo, state.home, 'lease');
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n'), run.stderr).toEqual([expect.stringMatching(/^cairn: restore interrupted/)]);
    expect(await allFiles(board).catch(() => [])).toEqual([]); // the board's flash is written back only after a whole restore
    await expectClean();
  }, 120_000);

  it('a check --read-data stops on SIGINT with exit 1 and one line, and leaves the repository clean', async () => {
    const run = await interruptWhenLocked(['check', '--read-data', '-r', state.repo], state.repo, state.home, 'lease');
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n'), run.stderr).toEqual([expect.stringMatching(/^cairn: check interrupted/)]);
    await expectClean();
  }, 120_000);

  it('a prune stops on SIGINT before it deletes, with exit 1 and one line; the repository stays clean and the next prune deletes', async () => {
    const forget = await cairn(['forget', '-r', state.repo, state.snapshot], { home: state.home });
    expect(forget.code, forget.stderr).toBe(0);
    const packs = (await allFiles(join(state.repo, 'data'))).length;
    const run = await interruptWhenLocked(['prune', '--grace', '0', '-r', state.repo], state.repo, state.home, 'exclusive');
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^cairn: prune interrupted/)]);
    expect((await allFiles(join(state.repo, 'data'))).length).toBe(packs);
    await expectClean();
    const again = await cairn(['prune', '--grace', '0', '-r', state.repo], { home: state.home });
    expect(again.code).toBe(0);
    expect(await allFiles(join(state.repo, 'data'))).toEqual([]);
  }, 120_000);
});
