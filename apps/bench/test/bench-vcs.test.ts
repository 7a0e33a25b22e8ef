import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { median } from '../src/stats.js';
import { buildVcsRepo } from '../src/vcs-repo.js';
import { bench, CLI, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

interface VcsJson {
  libraryOnly: boolean;
  files: number;
  repository: { files: number; head: string; unpushedCommits: number; stashes: number; pathsListed: number; bundled: string[] };
  samples: { rep: number; name: string; ms: number }[];
  stats: Record<string, { median: number; min: number; max: number; count: number }>;
  addedMs: { full?: number; changes?: number };
  goalMs: number;
  goalMet: { full?: boolean; changes?: boolean };
}

const LIBRARY = ['readWorkingCopy', 'saveExtras'];
const BACKUPS = ['backup-off', 'backup-full', 'backup-changes'];
const ms = /^-?\d+(\.\d)? ms$/;

function readJson(file: string): VcsJson {
  return JSON.parse(readFileSync(file, 'utf8')) as VcsJson;
}

function samplesOf(out: VcsJson, name: string): number[] {
  return out.samples.filter((s) => s.name === name).map((s) => s.ms);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
}

describe('cairn-bench vcs: the generated repository', () => {
  it('is a pushed git repository with two unpushed commits, a stash, edits, an untracked file and ignored node_modules, the same for the same seed', async () => {
    const dir = await tempDir();
    const repo = await buildVcsRepo({ dir: join(dir, 'a'), files: 60, seed: 7 });
    expect(repo.files).toBe(64);
    expect(git(repo.root, 'ls-files').trim().split('\n')).toHaveLength(64);
    expect(git(repo.root, 'rev-parse', 'HEAD').trim()).toBe(repo.head);
    expect(git(repo.root, 'rev-list', '--count', 'origin/main..HEAD').trim()).toBe('2');
    expect(git(repo.root, 'stash', 'list').trim().split('\n')).toHaveLength(1);
    const status = git(repo.root, 'status', '--porcelain', '--ignored').trimEnd().split('\n');
    expect(status.filter((line) => line.startsWith(' M')).map((line) => line.slice(3)).sort()).toEqual(repo.modified.slice(0, -1).sort());
    expect(status).toContain(`M  ${repo.modified[repo.modified.length - 1]!}`);
    expect(status).toContain('?? notes/');
    expect(status).toContain('!! node_modules/');
    expect(readdirSync(join(repo.root, 'node_modules')).length).toBeGreaterThan(1);
    expect(git(repo.remote, 'rev-parse', 'main').trim()).toBe(git(repo.root, 'rev-parse', 'HEAD~2').trim());

    const again = await buildVcsRepo({ dir: join(dir, 'b'), files: 60, seed: 7 });
    expect(again.head).toBe(repo.head);
    expect(again.modified).toEqual(repo.modified);
    const other = await buildVcsRepo({ dir: join(dir, 'c'), files: 60, seed: 8 });
    expect(other.head).not.toBe(repo.head);
  });
});

describe('cairn-bench vcs', () => {
  it('--library-only: times readWorkingCopy and saveExtras, alternating, and keeps every sample', async () => {
    const dir = await tempDir();
    const json = join(dir, 'vcs.json');
    const run = await bench(['vcs', '--library-only', '--files', '200', '--reps', '3', '--work', join(dir, 'work'), '--json', json]);
    expect(run.code, run.stderr).toBe(0);
    for (const label of ['readWorkingCopy (library, in process)', 'saveExtras (library, in process)']) {
      const row = tableRow(run.stdout, label)!;
      expect(row.slice(1)).toHaveLength(3);
      for (const cell of row.slice(1)) expect(cell).toMatch(ms);
    }
    expect(run.stdout).not.toContain('no-op backup');
    expect(run.stdout).toContain('2 unpushed commits, 1 stash');
    const out = readJson(json);
    expect(out.libraryOnly).toBe(true);
    expect(out.repository.files).toBe(204);
    expect(out.repository.pathsListed).toBeGreaterThanOrEqual(204);
    expect(out.repository.bundled).toContain('refs/cairn/stash/0');
    for (const name of LIBRARY) {
      const values = samplesOf(out, name);
      expect(values).toHaveLength(3);
      for (const value of values) expect(value).toBeGreaterThan(0);
      expect(out.stats[name]!.median).toBe(median(values));
    }
    for (const name of BACKUPS) expect(samplesOf(out, name)).toEqual([]);
    expect(out.addedMs).toEqual({});
    // Alternating: the first measurement rotates with each repetition.
    expect(out.samples.filter((s) => s.rep === 1).map((s) => s.name)).toEqual(LIBRARY);
    expect(out.samples.filter((s) => s.rep === 2).map((s) => s.name)).toEqual([...LIBRARY].reverse());
    expect(readdirSync(join(dir, 'work'))).toEqual([]); // the run's folder is removed
  });

  it('end to end: no-op backups with --vcs off, full and changes, and the added time per repository against the goal', async () => {
    const dir = await tempDir();
    const json = join(dir, 'vcs.json');
    const work = join(dir, 'work');
    const run = await bench(['vcs', '--files', '200', '--reps', '2', '--work', work, '--json', json, '--keep']);
    expect(run.code, run.stderr).toBe(0);
    // Each mode's repository holds the first backup and the two timed ones, made in that mode.
    const [runDir] = readdirSync(work);
    for (const mode of ['off', 'full', 'changes']) {
      const listed = execFileSync(process.execPath, [CLI, '--json', 'snapshots', '-r', join(work, runDir!, 'cairn', `cairn-${mode}`, 'repo')], { encoding: 'utf8' });
      // JSON Lines: one line per snapshot, then the summary.
      const snapshots = listed.trim().split('\n').map((line) => JSON.parse(line) as { type: string; snapshot?: { vcs?: { mode: string }[] } }).filter((m) => m.type === 'snapshot').map((m) => m.snapshot ?? {});
      expect(snapshots, mode).toHaveLength(3);
      for (const snapshot of snapshots) expect((snapshot.vcs ?? []).map((copy) => copy.mode), mode).toEqual(mode === 'off' ? [] : [mode]);
    }
    const out = readJson(json);
    expect(out.libraryOnly).toBe(false);
    for (const name of [...LIBRARY, ...BACKUPS]) {
      const values = samplesOf(out, name);
      expect(values, name).toHaveLength(2);
      for (const value of values) expect(value).toBeGreaterThan(0);
    }
    const med = (name: string): number => median(samplesOf(out, name))!;
    expect(out.addedMs.full).toBeCloseTo(med('backup-full') - med('backup-off'), 9);
    expect(out.addedMs.changes).toBeCloseTo(med('backup-changes') - med('backup-off'), 9);
    expect(out.goalMs).toBe(100);
    expect(out.goalMet.full).toBe(out.addedMs.full! < 100);
    expect(out.goalMet.changes).toBe(out.addedMs.changes! < 100);
    for (const mode of ['off', 'full', 'changes']) expect(tableRow(run.stdout, `no-op backup --vcs ${mode}`)![1]).toMatch(ms);
    expect(tableRow(run.stdout, 'added per repository, --vcs full (median full − median off)')![1]).toMatch(ms);
    expect(tableRow(run.stdout, 'added per repository, --vcs changes (median changes − median off)')![1]).toMatch(ms);
    expect(tableRow(run.stdout, 'goal: --vcs full adds under 100 ms')![1]).toBe(out.goalMet.full ? 'met' : 'MISSED');
  });

  it('refuses a cairn CLI without backup --vcs, before building anything', async () => {
    const dir = await tempDir();
    // An older cairn: its backup --help lists no --vcs.
    const old = join(dir, 'old-cairn.mjs');
    writeFileSync(old, "process.stdout.write('Usage: cairn backup [options] <paths...>\\n\\nOptions:\\n  --tag <tag>  tag the snapshot\\n  -q, --quiet  print nothing\\n');\n");
    const work = join(dir, 'work');
    const run = await bench(['vcs', '--files', '200', '--reps', '1', '--work', work, '--cairn-cli', old]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The cairn CLI ${old} has no \`backup --vcs\` option`);
    expect(run.stderr).toContain('--library-only');
    expect(existsSync(work)).toBe(false);
  });

  it('rejects bad options with exit code 1 and names them', async () => {
    for (const [option, value] of [['--files', '0'], ['--files', 'many'], ['--reps', '0']] as const) {
      const run = await bench(['vcs', option, value, '--library-only']);
      expect(run.code, `${option} ${value}`).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`option '${option} <n>' argument '${value}' is invalid\\. wants a whole number from`));
    }
  });
});
