import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, readDaemonLog, startCli, tempDir, until as untilEvery } from './run-cli.js';

/** until, polling every 50 ms (the burst test times the backup against the settle time). */
const until = (what: string, test: () => Promise<boolean>, ms = 20_000): Promise<void> => untilEvery(what, test, ms, 50);

const envOf = (home: string): Record<string, string> => ({
  HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), XDG_DATA_HOME: join(home, 'data'), CAIRN_PASSWORD: '',
});



const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const events = async (home: string, event: string): Promise<Record<string, unknown>[]> => (await readDaemonLog(home)).filter((e) => e['operation'] === 'backup' && e['event'] === event);

describe('cairn watch', () => {
  it('gives none for an idle tree or ignored paths, one backup for a burst of 2,000 files after the settle time, and one for a single edit', async () => {
    const home = await tempDir();
    const project = join(home, 'project');
    await mkdir(join(project, 'node_modules', 'dep'), { recursive: true });
    await writeFile(join(project, 'package.json'), '{"name":"p"}');
    await writeFile(join(project, 'index.js'), 'console.log(1)\n');
    // The repository lives inside the watched tree: its own writes must not trigger.
    const repo = join(project, '.cairn-repo');
    expect((await cairn(['init', '--repo', repo], { home, env: envOf(home) })).code).toBe(0);
    const watch = startCli(['--repo', repo, 'watch', project, '--settle', '1500ms', '--max-wait', '1m'], envOf(home));
    try {
      await until('the watch', async () => (await readDaemonLog(home)).some((e) => e['event'] === 'watching'));
      // Idle, then only ignored paths: no backup.
      await sleep(1500);
      await writeFile(join(project, 'node_modules', 'dep', 'index.js'), 'x'); // dependency folder: the policy skips it
      await writeFile(join(repo, 'stray'), 'x');
      await mkdir(join(project, '.git'));
      await writeFile(join(project, '.git', 'index'), 'x');
      await sleep(2500);
      expect(await events(home, 'start')).toEqual([]);

      // A burst of 2,000 files (as a checkout writes them): one backup once it has settled.
      const burstStart = Date.now();
      await mkdir(join(project, 'src'));
      // Written 200 at a time, so the burst is short even on busy shared cores (a stall longer than
      // the settle time would rightly split it in two).
      for (let i = 0; i < 2000; i += 200) {
        await Promise.all(Array.from({ length: 200 }, (_, k) => writeFile(join(project, 'src', `f${i + k}.js`), `export const n = ${i + k};\n`)));
      }
      const burstEnd = Date.now();
      await until('the backup of the burst', async () => (await events(home, 'success')).length === 1);
      const started = (await events(home, 'start'))[0]!;
      expect(Date.parse(String(started['time'])) - burstEnd, JSON.stringify(await readDaemonLog(home))).toBeGreaterThanOrEqual(1400); // after the settle time…
      expect(Date.parse(String(started['time'])) - burstStart).toBeGreaterThan(0);
      await sleep(2000);
      expect(await events(home, 'start'), JSON.stringify(await readDaemonLog(home))).toHaveLength(1); // …and only one
      const changes = (await readDaemonLog(home)).filter((e) => e['event'] === 'changes');
      expect(changes).toHaveLength(1);
      expect(changes[0]!['files']).toBeGreaterThanOrEqual(2000);

      // One edit: one more backup.
      await writeFile(join(project, 'index.js'), 'console.log(2)\n');
      await until('the backup of the edit', async () => (await events(home, 'success')).length === 2);
      await sleep(2000);
      expect(await events(home, 'start')).toHaveLength(2);
      expect((await events(home, 'success'))[1]).toMatchObject({ reason: 'activity', result: 'success' });
    } finally {
      watch.child.kill('SIGTERM');
    }
    expect((await watch.done).code).toBe(0);
    const snapshots = await cairn(['--repo', repo, 'snapshots', '--json'], { home, env: envOf(home) });
    expect(snapshots.stdout.match(/"type":"snapshot"/g)).toHaveLength(2);
  });
});

describe('cairn watch in a git working copy', () => {
  it('below --min-files, an edit to a tracked file is significant and an untracked scratch file is not', async () => {
    const home = await tempDir();
    const project = join(home, 'project');
    await mkdir(project);
    const git = (...args: string[]) => execFileSync('git', ['-C', project, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
    git('init', '-q');
    await writeFile(join(project, 'main.c'), 'int main;\n');
    git('add', 'main.c');
    git('commit', '-qm', 'first');
    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home, env: envOf(home) })).code).toBe(0);
    const watch = startCli(['--repo', repo, 'watch', project, '--settle', '500ms', '--min-files', '100'], envOf(home));
    try {
      await until('the watch', async () => (await readDaemonLog(home)).some((e) => e['event'] === 'watching'));
      await writeFile(join(project, 'scratch.txt'), 'notes');
      await sleep(2000);
      expect(await events(home, 'start')).toEqual([]);
      await writeFile(join(project, 'main.c'), 'int main(void) { return 0; }\n');
      await until('the backup of the tracked edit', async () => (await events(home, 'success')).length === 1);
      const changes = (await readDaemonLog(home)).filter((e) => e['event'] === 'changes');
      expect(changes.map((e) => e['files'])).toEqual([2]); // the scratch file waited, and went with it
    } finally {
      watch.child.kill('SIGTERM');
    }
    expect((await watch.done).code).toBe(0);
  });
});
