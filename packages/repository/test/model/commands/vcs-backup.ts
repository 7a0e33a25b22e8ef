/**
 * Backup of a git working copy with `vcs: 'changes'` (only what its local bare remote lacks is
 * stored; the unpushed commits, stash, index and hooks go into the snapshot's extras), after a
 * random change: an unpushed commit, a new stash, an edit of the working tree, a push, or none.
 * The model records its files, HEAD, branches, unpushed commits, stash and status.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backup } from '@cairn/repository';
import { createProjectSelector } from '@cairn/vcs/selector';
import { createLocalSource } from '@cairn/transport';
import type fc from 'fast-check';
import { gitFacts } from '../../../../vcs/test/git-scenario.js';
import { git, readTree } from '../../../../vcs/test/helpers.js';
import { checkInvariants } from '../invariants.js';
import { advanceClock } from '../model-state.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import type { World } from '../world.js';
import { recordBackup } from './backup.js';

/** The change made to the working copy before the backup. */
export type VcsChange = 'none' | 'commit' | 'stash' | 'edit' | 'push';

/** Makes `change` in the working copy at `wc` (step: a number for new names). */
async function change(wc: string, what: VcsChange, step: number): Promise<void> {
  switch (what) {
    case 'none':
      return;
    case 'commit': // on main, not pushed; only this file, so the staged and dirty files stay so
      await writeFile(join(wc, 'src', `c${step}.js`), `export const c${step} = ${step};\n`);
      git(wc, 'add', `src/c${step}.js`);
      git(wc, 'commit', '-q', '-m', `commit at step ${step}`, '--', `src/c${step}.js`);
      return;
    case 'stash':
      await appendFile(join(wc, 'README.md'), `draft ${step}\n`);
      git(wc, 'stash', 'push', '-q', '-m', `draft ${step}`, '--', 'README.md');
      return;
    case 'edit':
      await appendFile(join(wc, 'notes.txt'), `note ${step}\n`);
      await appendFile(join(wc, 'src', 'index.js'), `// edit ${step}\n`);
      return;
    case 'push':
      git(wc, 'push', '-q', 'origin', 'main');
      return;
  }
}

/** A `--vcs changes` backup of the git working copy. */
export class VcsBackupCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: { readonly change: VcsChange; readonly hours: number }) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'vcs-backup', this.toString());
    const { wc } = await world.gitCopy();
    await change(wc, this.p.change, model.step);
    const files = await readTree(wc, ['node_modules']);
    const facts = gitFacts(wc);
    const time = advanceClock(model, this.p.hours);
    const selector = createProjectSelector({ roots: [wc], vcs: 'changes', policy: () => ({}) });
    const result = await backup(await world.open(), { source: createLocalSource(), paths: [wc], selector, time });
    const problems = await recordBackup(model, world, label, result, { kind: 'git', name: 'wc', files, facts });
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return `vcs-backup after ${this.p.change} +${this.p.hours}h`;
  }
}
