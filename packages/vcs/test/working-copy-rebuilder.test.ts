import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalTarget } from '@cairn/transport';
import { createWorkingCopyRebuilder, saveExtras } from '@cairn/vcs';
import { createPolicy } from '../src/policy/policy.js';
import { gitFacts, loseRemote, makeGitScenario } from './git-scenario.js';
import { git, layFiles, readCopy as read, readTree, tempDir } from './helpers.js';
import { planBackup } from './plan.js';

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

describe('the working-copy rebuilder (the port a restore calls)', () => {
  it('reads a recorded state and rebuilds the working copy from its remote and its extras folder, then finishes it', async () => {
    const { wc } = await makeGitScenario();
    const status = await read(wc);
    const plan = await planBackup(status, createPolicy(wc));
    const rebuilder = createWorkingCopyRebuilder({ localTarget: createLocalTarget });
    const folder = await rebuilder.extrasFolder();
    await saveExtras(status, folder.dir);

    const recorded = rebuilder.read(JSON.stringify(status.state));
    expect(recorded?.vcs).toBe('git');
    const target = join(await tempDir(), 'restored');
    expect(await recorded!.rebuild(target, { extras: folder.dir })).toMatchObject({ warnings: [] });
    await layFiles(wc, target, plan.stored);
    await recorded!.finish(target);
    expect(await readTree(target)).toEqual(await readTree(wc, ['node_modules']));
    expect(gitFacts(target)).toEqual(gitFacts(wc));

    await folder.remove();
    await expect(stat(folder.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rebuilds from where a moved remote went, by its rewrites', async () => {
    const scenario = await makeGitScenario();
    const status = await read(scenario.wc);
    const moved = await loseRemote(scenario);
    const recorded = createWorkingCopyRebuilder({ localTarget: createLocalTarget, rewrites: [{ from: scenario.remote, to: moved }] }).read(JSON.stringify(status.state));
    const target = join(await tempDir(), 'restored');
    await recorded!.rebuild(target);
    expect(git(target, 'remote', 'get-url', 'origin').trim()).toBe(moved);
    expect(git(target, 'rev-parse', 'origin/main')).toBe(git(scenario.wc, 'rev-parse', 'origin/main'));
  });

  it('gives an empty temporary folder with a target writing into it', async () => {
    const folder = await createWorkingCopyRebuilder({ localTarget: createLocalTarget }).extrasFolder();
    expect(await readdir(folder.dir)).toEqual([]);
    await folder.target.writeFile(['config'], bytes('[core]\n'));
    expect(await readFile(join(folder.dir, 'config'), 'utf8')).toBe('[core]\n');
    await folder.remove();
    await expect(stat(folder.dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads null for a state that is not JSON or names no VCS it knows, and refuses options without localTarget', () => {
    const rebuilder = createWorkingCopyRebuilder({ localTarget: createLocalTarget });
    expect(rebuilder.read('{not json')).toBeNull();
    expect(rebuilder.read('{"vcs":"fossil"}')).toBeNull();
    expect(rebuilder.read('null')).toBeNull();
    expect(() => createWorkingCopyRebuilder({} as never)).toThrow(/localTarget must be a function/);
  });
});
