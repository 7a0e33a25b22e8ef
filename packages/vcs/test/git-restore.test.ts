import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorkingCopy, saveExtras, workingCopyAt } from '@cairn/vcs';
import { createPolicy } from '../src/policy/policy.js';
import { finishWorkingCopy, restoreWorkingCopy } from '../src/working-copy.js';
import { gitFacts as repoFacts, loseRemote, makeGitScenario } from './git-scenario.js';
import { git, layFiles, readTree, rejection, tempDir, writeFiles, readCopy as read } from './helpers.js';
import { planBackup } from './plan.js';


describe('git restore', () => {
  it('rebuilds the scenario of issue 6 in an empty folder: same tree, HEAD, unpushed commits, stash, index', async () => {
    const { wc, base } = await makeGitScenario();
    const status = await read(wc);
    const plan = await planBackup(status, createPolicy(wc));
    const extras = join(base, 'extras');
    await saveExtras(status, extras);
    // The snapshot would now hold: the state (JSON), the stored files, the extras folder.
    const state = JSON.parse(JSON.stringify(status.state)) as typeof status.state;

    const target = join(await tempDir(), 'restored');
    const report = await restoreWorkingCopy(target, state, { extras });
    expect(report).toEqual({ fetched: true, reused: false, warnings: [] });
    await layFiles(wc, target, plan.stored);
    await finishWorkingCopy(target, state);

    expect(await readTree(target)).toEqual(await readTree(wc, ['node_modules']));
    expect(repoFacts(target)).toEqual(repoFacts(wc));
    const hook = await stat(join(target, '.git', 'hooks', 'pre-commit'));
    expect(hook.mode & 0o111).not.toBe(0);
    expect(git(target, 'remote', 'get-url', 'origin')).toBe(git(wc, 'remote', 'get-url', 'origin'));
    // Read again, the restored copy has the same state (its own root aside).
    expect({ ...(await read(target)).state, root: wc }).toEqual(status.state);
  });

  it('rebuilds from the bundle alone when the repository was never pushed', async () => {
    const dir = join(await tempDir(), 'solo');
    git(dir.slice(0, dir.lastIndexOf('/')), 'init', '-q', dir);
    await writeFiles(dir, { 'a.txt': 'one\n' });
    git(dir, 'add', 'a.txt');
    git(dir, 'commit', '-q', '-m', 'one');
    await writeFiles(dir, { 'a.txt': 'two\n' });
    const status = await read(dir);
    expect(status.state.pushed).toBe(false);
    const extras = join(dir, '..', 'extras');
    const manifest = await saveExtras(status, extras);
    expect(manifest.bundled).toEqual(['refs/heads/main', 'refs/cairn/head']);
    const target = join(dir, '..', 'back');
    expect((await restoreWorkingCopy(target, status.state, { extras })).fetched).toBe(false);
    await layFiles(dir, target, ['a.txt']);
    await finishWorkingCopy(target, status.state);
    expect(git(target, 'log', '--format=%H')).toBe(git(dir, 'log', '--format=%H'));
    expect(git(target, 'status', '--porcelain=v2')).toBe(git(dir, 'status', '--porcelain=v2'));
  });

  it('stops with a clear error naming the repository and URL when the remote is gone, leaving a plain folder for the stored files', async () => {
    const scenario = await makeGitScenario();
    const { wc, base, remote } = scenario;
    const status = await read(wc);
    const plan = await planBackup(status, createPolicy(wc));
    const extras = join(base, 'extras');
    await saveExtras(status, extras);
    await loseRemote(scenario);

    const target = join(await tempDir(), 'restored');
    const error = await rejection(restoreWorkingCopy(target, status.state, { extras }));
    expect(error.code).toBe('ERR_NOT_FOUND');
    expect(error.message).toContain(wc);
    expect(error.message).toContain(remote);
    expect(await workingCopyAt(target)).toBeNull();
    // Everything stored still comes back, as plain files.
    await layFiles(wc, target, plan.stored);
    expect([...(await readTree(target)).keys()]).toEqual(plan.stored);
  });

  it('names an unreachable remote without its credentials', async () => {
    const { wc, base } = await makeGitScenario();
    const status = await read(wc);
    const extras = join(base, 'extras');
    await saveExtras(status, extras);
    const error = await rejection(restoreWorkingCopy(join(base, 'nowhere'), status.state, { extras, remoteUrl: 'https://tok3n@127.0.0.1:1/app.git' }));
    expect(error.code).toBe('ERR_TRANSIENT');
    expect(error.message).toContain('https://127.0.0.1:1/app.git');
    expect(error.message).not.toContain('tok3n');
  });

  it('reuses an existing clean clone, and refuses one with uncommitted changes', async () => {
    const { wc, base, remote } = await makeGitScenario();
    const status = await read(wc);
    const extras = join(base, 'extras');
    await saveExtras(status, extras);
    const clone = join(base, 'existing');
    git(base, 'clone', '-q', remote, clone);
    await writeFiles(clone, { 'README.md': 'local edit\n' });
    const refused = await rejection(restoreWorkingCopy(clone, status.state, { extras }));
    expect(refused.code).toBe('ERR_EXISTS');
    expect(git(clone, 'status', '--porcelain')).toContain('README.md');
    git(clone, 'checkout', '-q', '--', 'README.md');
    const report = await restoreWorkingCopy(clone, status.state, { extras });
    expect(report.reused).toBe(true);
    expect(git(clone, 'rev-parse', 'feature')).toBe(git(wc, 'rev-parse', 'feature'));
    expect(git(clone, 'stash', 'list', '--format=%H')).toBe(git(wc, 'stash', 'list', '--format=%H'));
  });

  it('restores a detached HEAD on an unpushed commit, fetching with the saved config\'s URL', async () => {
    const { wc, base } = await makeGitScenario();
    git(wc, 'stash', '-q');
    git(wc, 'checkout', '-q', '--detach', 'feature~1');
    const status = await read(wc);
    expect(status.state.branch).toBeNull();
    const extras = join(base, 'extras');
    await saveExtras(status, extras);
    // The recorded URL no longer works; the repository's own config still has the right one.
    const state = { ...status.state, remotes: [{ name: 'origin', url: join(base, 'elsewhere.git') }] };
    const target = join(await tempDir(), 'restored');
    expect((await restoreWorkingCopy(target, state, { extras })).warnings).toEqual([]);
    await finishWorkingCopy(target, state);
    expect(git(target, 'rev-parse', 'HEAD')).toBe(git(wc, 'rev-parse', 'HEAD'));
    expect(() => git(target, 'symbolic-ref', '-q', 'HEAD')).toThrow();
    expect(git(target, 'stash', 'list', '--format=%H %gs')).toBe(git(wc, 'stash', 'list', '--format=%H %gs'));
    expect(await readTree(target, ['node_modules', '.env', 'notes.txt'])).toEqual(await readTree(wc, ['node_modules', '.env', 'notes.txt']));
  });

  it('refuses a recorded state whose paths leave the working copy', async () => {
    const { wc } = await makeGitScenario();
    const status = await read(wc);
    const target = join(await tempDir(), 'restored');
    await restoreWorkingCopy(target, status.state);
    const evil = { ...status.state, changes: { added: [], removed: [], missing: ['../outside'] } };
    expect((await rejection(finishWorkingCopy(target, evil))).code).toBe('ERR_FORMAT');
    expect(() => restoreWorkingCopy('', status.state)).toThrow(TypeError);
    expect(() => restoreWorkingCopy(target, { ...status.state, vcs: 'cvs' as 'git' })).toThrow(RangeError);
    await expect(saveExtras(status, '')).rejects.toThrow(TypeError);
    const aborted = AbortSignal.abort();
    expect((await rejection(restoreWorkingCopy(join(target, 'x'), status.state, { signal: aborted }))).code).toBe('ERR_ABORTED');
    expect((await rejection(readWorkingCopy(status.copy, { signal: aborted }))).code).toBe('ERR_ABORTED');
  });
});
