import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveExtras, workingCopyAt } from '@cairn/vcs';
import { createPolicy } from '../src/policy/policy.js';
import { finishWorkingCopy, restoreWorkingCopy } from '../src/working-copy.js';
import { hg, layFiles, readTree, rejection, tempDir, readCopy as read } from './helpers.js';
import { planBackup } from './plan.js';
import { makeHgScenario } from './hg-scenario.js';


describe('Mercurial', () => {
  it('records the state: parent, branch, bookmarks, drafts, file statuses and ids', async () => {
    const { wc, remote, pushed } = await makeHgScenario();
    const status = await read(wc);
    const feature = hg(wc, 'log', '-r', 'feature', '-T', '{node}');
    expect(status.state).toEqual({
      vcs: 'hg', root: wc, kind: 'repository', head: pushed, branch: 'default', upstream: 'default', ahead: null, behind: null,
      remotes: [{ name: 'default', url: remote }], dirty: true, pushed: true, unpushed: 2, stashes: [],
      refs: [{ name: 'feature', commit: feature }],
      changes: { added: ['new.txt'], removed: ['gone.txt'], missing: ['gone.txt', 'lost.txt'] },
    });
    expect(status.lookup('a.txt').status).toBe('modified');
    expect(status.lookup('new.txt').status).toBe('added');
    expect(status.lookup('untracked.txt').status).toBe('untracked');
    expect(status.lookup('debug.log').status).toBe('ignored');
    expect(status.lookup('lost.txt').status).toBe('deleted');
    const fileNode = hg(wc, 'manifest', '--debug', '-r', '.').split('\n').find((line) => line.endsWith(' lib/b.txt'))?.slice(0, 40);
    expect(status.reference('lib/b.txt')).toEqual({ path: 'lib/b.txt', id: fileNode, commit: pushed });
    expect(status.reference('a.txt')).toBeNull();
  });

  it('restores drafts, bookmarks, the parent and the working files', async () => {
    const { wc, base } = await makeHgScenario();
    const status = await read(wc);
    const plan = await planBackup(status, createPolicy(wc, { gitignore: false }));
    expect(plan.stored).toEqual(['a.txt', 'debug.log', 'new.txt', 'untracked.txt']);
    const extras = join(base, 'extras');
    const manifest = await saveExtras(status, extras);
    expect(manifest.files).toEqual(['hgrc', 'hg.bundle']);

    const target = join(await tempDir(), 'restored');
    const report = await restoreWorkingCopy(target, JSON.parse(JSON.stringify(status.state)), { extras });
    expect(report).toEqual({ fetched: true, reused: false, warnings: [] });
    await layFiles(wc, target, plan.stored);
    await finishWorkingCopy(target, status.state);

    const facts = (dir: string) => ({
      drafts: hg(dir, 'log', '-r', 'draft()', '-T', '{node} {desc}\n'),
      parent: hg(dir, 'identify', '--debug', '-i'),
      bookmarks: hg(dir, 'bookmarks', '-T', '{bookmark} {node}\n'),
      status: hg(dir, 'status'),
    });
    expect(facts(target)).toEqual(facts(wc));
    expect(await readTree(target)).toEqual(await readTree(wc));
  });

  it('stops with an error naming the repository and URL when the remote is gone', async () => {
    const { wc, base, remote } = await makeHgScenario();
    const status = await read(wc);
    const extras = join(base, 'extras');
    await saveExtras(status, extras);
    await rename(remote, `${remote}.gone`);
    const target = join(await tempDir(), 'restored');
    const error = await rejection(restoreWorkingCopy(target, status.state, { extras }));
    expect(error.code).toBe('ERR_NOT_FOUND');
    expect(error.message).toContain(wc);
    expect(error.message).toContain(remote);
    expect(await workingCopyAt(target)).toBeNull();
  });
});
