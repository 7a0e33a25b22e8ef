import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveExtras, workingCopyAt } from '@cairn/vcs';
import { createPolicy } from '../src/policy/policy.js';
import { finishWorkingCopy, restoreWorkingCopy } from '../src/working-copy.js';
import { layFiles, readTree, rejection, tempDir, readCopy as read } from './helpers.js';
import { planBackup } from './plan.js';
import { editProperties, makeSvnScenario, svn, svnPropFacts } from './svn-scenario.js';




describe('Subversion', () => {
  it('records the state: URL, revisions, file statuses and ids', async () => {
    const { wc, url } = await makeSvnScenario();
    const status = await read(wc);
    expect(status.state).toMatchObject({
      vcs: 'svn', root: wc, head: '1', branch: '^/', remotes: [{ name: 'svn', url }], dirty: true, pushed: true, unpushed: 0,
      changes: { added: ['new.txt'], removed: ['old.txt'], missing: ['lost.txt', 'old.txt'] },
    });
    expect(status.state.mixedRevisions).toEqual([{ path: '', revision: 0 }, { path: 'lib/b.txt', revision: 2 }]);
    const statusOf = (path: string) => status.lookup(path).status;
    expect(statusOf('a.txt')).toBe('modified');
    expect(statusOf('new.txt')).toBe('added');
    expect(statusOf('old.txt')).toBe('deleted');
    expect(statusOf('untracked.txt')).toBe('untracked');
    expect(statusOf('tmp/x.txt')).toBe('untracked');
    expect(statusOf('build.o')).toBe('ignored');
    expect(status.reference('lib/b.txt')).toEqual({ path: 'lib/b.txt', id: 'r2', commit: '2' });
    expect(status.reference('a.txt')).toBeNull();
    expect(status.reference('lib')).toBeNull();
    expect((await saveExtras(status, join(wc, '..', 'extras'))).files).toEqual([]);
  });

  it('restores a mixed-revision working copy with its changes', async () => {
    const { wc } = await makeSvnScenario();
    const status = await read(wc);
    const plan = await planBackup(status, createPolicy(wc));
    expect(plan.stored).toEqual(['a.txt', 'build.o', 'new.txt', 'tmp/x.txt', 'untracked.txt']);
    const target = join(await tempDir(), 'restored');
    const report = await restoreWorkingCopy(target, JSON.parse(JSON.stringify(status.state)));
    expect(report.reused).toBe(false);
    await layFiles(wc, target, plan.stored);
    await finishWorkingCopy(target, status.state);
    // Status, base revision and last-changed revision of every item (not the cached author of r0, which has none).
    const items = (dir: string) => svn(dir, 'status', '-v').split('\n').map((line) => {
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 4) fields.splice(fields.length - 2, 1);
      return fields.join(' ');
    });
    expect(items(target)).toEqual(items(wc));
    expect(items(wc)).toEqual(expect.arrayContaining(['0 0 .', '2 2 lib/b.txt', 'M 1 1 a.txt', 'D 1 1 old.txt', '! 1 1 lost.txt', 'A - ? new.txt', '? tmp']));
    expect(await readTree(target)).toEqual(await readTree(wc));
  });

  it('records uncommitted property edits (set, changed, deleted, not text) and puts them back', async () => {
    const { wc, base } = await makeSvnScenario();
    await editProperties(base, wc);
    const status = await read(wc);
    expect(status.state.properties).toEqual(expect.arrayContaining([
      { path: '', values: { 'svn:ignore': '*.o\n*.tmp\n' } },
      { path: 'a.txt', values: { review: 'line one\nline <two> & "three"' } },
    ]));
    const plan = await planBackup(status, createPolicy(wc));
    const target = join(await tempDir(), 'restored');
    await restoreWorkingCopy(target, JSON.parse(JSON.stringify(status.state)));
    await layFiles(wc, target, plan.stored);
    await finishWorkingCopy(target, JSON.parse(JSON.stringify(status.state)));
    expect(svnPropFacts(target)).toEqual(svnPropFacts(wc));
    expect(svnPropFacts(wc)).toMatchObject({ blob: '000102ff0a', status: expect.stringMatching(/^ M +lib\/b\.txt$/m) as string });
  });

  it('stops with an error naming the working copy and URL when the server is gone', async () => {
    const { wc, repo, url } = await makeSvnScenario();
    const status = await read(wc);
    await rename(repo, `${repo}.gone`);
    const target = join(await tempDir(), 'restored');
    const error = await rejection(restoreWorkingCopy(target, status.state));
    expect(error.code).toBe('ERR_NOT_FOUND');
    expect(error.message).toContain(wc);
    expect(error.message).toContain(url);
    expect(await workingCopyAt(target)).toBeNull();
  });
});
