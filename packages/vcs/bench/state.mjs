// What the VCS bridge adds to a backup, per git repository: detecting it and reading its state
// (status, ls-files, for-each-ref, config, rev-list) on a repository of N files, next to the
// time of a bare `git status` run in the same loop (the floor, and a gauge of the machine's load).
// Usage: npx tsc -b && node bench/state.mjs [files, default 10000] [runs, default 15]
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWorkingCopy, workingCopyAt } from '../dist/index.js';

const fileCount = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 15);
const env = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com',
};
const git = (cwd, ...args) => execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });

const base = await mkdtemp(join(tmpdir(), 'cairn-vcs-bench-'));
try {
  const remote = join(base, 'remote.git');
  const wc = join(base, 'wc');
  git(base, 'init', '-q', '--bare', remote);
  git(base, 'init', '-q', wc);
  git(wc, 'remote', 'add', 'origin', remote);
  const perFolder = 100;
  for (let i = 0; i < fileCount; i++) {
    const folder = join(wc, `pkg${Math.floor(i / perFolder / 10)}`, `mod${Math.floor(i / perFolder)}`);
    if (i % perFolder === 0) await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `file${i}.ts`), `export const value${i} = ${i};\n`);
  }
  await writeFile(join(wc, '.gitignore'), 'node_modules/\n.env\n');
  git(wc, 'add', '-A');
  git(wc, 'commit', '-q', '-m', 'files');
  git(wc, 'push', '-q', '-u', 'origin', 'main');
  // A working day's state: a few edits, a staged file, untracked and ignored files, a local commit elsewhere.
  for (let i = 0; i < 10; i++) await writeFile(join(wc, 'pkg0', 'mod0', `file${i}.ts`), `// edited\n`);
  await writeFile(join(wc, 'staged.ts'), 'staged\n');
  git(wc, 'add', 'staged.ts');
  await mkdir(join(wc, 'node_modules', 'dep'), { recursive: true });
  await writeFile(join(wc, 'node_modules', 'dep', 'index.js'), '');
  await writeFile(join(wc, '.env'), 'X=1\n');
  await writeFile(join(wc, 'notes.txt'), 'untracked\n');
  // Let the index's timestamps settle, as in a repository its owner works in (no racily-clean entries).
  await sleep(1100);
  git(wc, 'status', '--porcelain');

  const copy = await workingCopyAt(wc);
  for (let i = 0; i < 3; i++) await readWorkingCopy(copy); // warm the page cache and git's own caches
  const detect = [];
  const read = [];
  const floor = [];
  const run = promisify(execFile);
  let files = 0;
  for (let i = 0; i < runs; i++) {
    let started = process.hrtime.bigint();
    await workingCopyAt(wc);
    detect.push(Number(process.hrtime.bigint() - started) / 1e6);
    started = process.hrtime.bigint();
    const status = await readWorkingCopy(copy);
    read.push(Number(process.hrtime.bigint() - started) / 1e6);
    files = status.files.size;
    // The floor: git status alone, which any VCS-aware backup has to pay (interleaved, so it sees the same load).
    started = process.hrtime.bigint();
    await run('git', ['--no-optional-locks', 'status', '--porcelain=v2', '-z'], { cwd: wc, env, maxBuffer: 1 << 26 });
    floor.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const min = (values) => Math.min(...values);
  const gitVersion = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();
  console.log(`${gitVersion}; repository of ${fileCount} tracked files (${files} paths listed), ${runs} runs`);
  console.log(`detect (workingCopyAt): median ${median(detect).toFixed(2)} ms, min ${min(detect).toFixed(2)} ms`);
  console.log(`state (readWorkingCopy): median ${median(read).toFixed(1)} ms, min ${min(read).toFixed(1)} ms`);
  console.log(`floor (git status alone): median ${median(floor).toFixed(1)} ms, min ${min(floor).toFixed(1)} ms`);
  console.log(`added per repository: median ${(median(detect) + median(read)).toFixed(1)} ms (goal: under 100 ms)`);
} finally {
  await rm(base, { recursive: true, force: true });
}
