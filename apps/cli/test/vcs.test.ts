import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loseRemote, makeGitScenario } from '../../../packages/vcs/test/git-scenario.js';
import { git, readTree } from '../../../packages/vcs/test/helpers.js';
import { cairn, jsonSummary, tempDir } from './run-cli.js';

describe('cairn backup --vcs and policies', () => {
  it('changes: stores what the remote lacks, reports the working copy, the classes and what the policy skipped; restore rebuilds the clone', async () => {
    const { wc } = await makeGitScenario();
    const home = await tempDir();
    const run = await cairn(['backup', '--vcs', 'changes', wc], { home });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('4 by reference');
    expect(run.stdout).toMatch(/working copy \/wc: git, main at [0-9a-f]{8}, 2 unpushed, 1 stash, dirty; stored what its remote lacks/);
    expect(run.stdout).toContain('project: wc, stack node');
    expect(run.stdout).toMatch(/skipped by policy \(--no-policy keeps everything\): 1\n {2}\/wc\/node_modules\/ {2}\[dependency\] node preset/);
    expect(run.stdout).toMatch(/classes: .*source \d+/);

    const stats = await cairn(['stats', 'latest'], { home });
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/files: +\d+ new, 0 changed, 0 unchanged, 4 by reference/);
    expect(stats.stdout).toMatch(/\n {2}source +\d+ files/);
    expect(stats.stdout).toContain('/wc/node_modules/  [dependency]');
    expect(stats.stdout).toMatch(/working copy: +\/wc \(git, main at [0-9a-f]{8}; changes\)/);

    const out = join(home, 'out');
    const restored = await cairn(['restore', 'latest', '--target', out], { home });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('4 files recorded by reference came from their working copy\'s remote');
    expect(await readTree(join(out, 'wc'))).toEqual(await readTree(wc, ['node_modules']));
    expect(git(join(out, 'wc'), 'log', '--format=%H', 'feature')).toBe(git(wc, 'log', '--format=%H', 'feature'));
  });

  it('a remote gone: the restore names the repository and URL, restores what was stored, and exits 3', async () => {
    const scenario = await makeGitScenario();
    const home = await tempDir();
    expect((await cairn(['backup', '--vcs', 'changes', scenario.wc], { home })).code).toBe(0);
    await loseRemote(scenario);
    const out = join(home, 'out');
    const restored = await cairn(['restore', 'latest', '--target', out], { home });
    expect(restored.code).toBe(3);
    expect(restored.stderr).toContain(scenario.remote);
    expect(restored.stderr).toContain(scenario.wc);
    expect([...(await readTree(join(out, 'wc'))).keys()].sort()).toEqual(['.env', 'notes.txt', 'src/index.js', 'src/new.js']);
  });

  it('--vcs-remote OLD=NEW: the hint names it with the recorded URL, and it rebuilds the clone from where the remote went', async () => {
    const scenario = await makeGitScenario();
    const home = await tempDir();
    expect((await cairn(['backup', '--vcs', 'changes', scenario.wc], { home })).code).toBe(0);
    const moved = await loseRemote(scenario);
    const gone = await cairn(['restore', 'latest', '--target', join(home, 'gone')], { home });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain(`restore again with --vcs-remote ${scenario.remote}=NEW_URL`);

    const out = join(home, 'out');
    const restored = await cairn(['restore', 'latest', '--target', out, '--vcs-remote', `${scenario.remote}=${moved}`], { home });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('4 files recorded by reference came from their working copy\'s remote');
    expect(await readTree(join(out, 'wc'))).toEqual(await readTree(scenario.wc, ['node_modules']));
    expect(git(join(out, 'wc'), 'remote', 'get-url', 'origin').trim()).toBe(moved);

    const bad = await cairn(['restore', 'latest', '--target', join(home, 'bad'), '--vcs-remote', scenario.remote], { home });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`--vcs-remote wants OLD=NEW`);
    expect(bad.stderr).toContain(scenario.remote);
  });

  it('--no-policy stores everything; a config file sets the mode, a user glob and the project; bad values are refused', async () => {
    const { wc } = await makeGitScenario();
    const home = await tempDir();
    const all = await cairn(['--json', 'backup', '--no-policy', wc], { home });
    expect(all.code, all.stderr).toBe(0);
    expect(jsonSummary(all.stdout)).toMatchObject({ skipped: [], workingCopies: [{ path: '/wc', mode: 'full' }] });

    await writeFile(join(wc, 'cairn.config.json'), JSON.stringify({
      vcs: 'changes',
      policy: { include: ['node_modules/pkg/**'], exclude: ['assets'] },
      projects: [{ project: 'demo', client: 'acme', phase: 'active', tags: ['web'] }],
    }));
    const configured = await cairn(['--json', 'backup', wc], { home });
    expect(configured.code, configured.stderr).toBe(0);
    const result = jsonSummary(configured.stdout) as { meta: Record<string, string>; skipped: { path: string; reason: string }[]; summary: { filesReferenced: number } };
    expect(result.meta).toEqual({ project: 'demo', client: 'acme', phase: 'active', stack: 'node' });
    expect(result.skipped.map((entry) => entry.path)).toEqual(['/wc/.git/', '/wc/assets/']);
    expect(result.skipped[1]?.reason).toContain('excluded by the glob "assets"');
    const listed = await cairn(['snapshots', '--project', 'demo', '--tag', 'web'], { home });
    expect(listed.stdout).toContain('1 snapshots');

    const bad = await cairn(['backup', '--vcs', 'some', wc], { home });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--vcs wants off, full or changes, not "some"');
    await writeFile(join(wc, 'cairn.config.json'), JSON.stringify({ vcs: 'partial' }));
    const broken = await cairn(['backup', wc], { home });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('cairn.config.json');
    expect(broken.stderr).toContain('vcs');
    expect(git(wc, 'status', '--porcelain')).toContain('cairn.config.json');
  });
});
