/**
 * Restores one model snapshot into a fresh folder and says how what came back differs from what
 * the model expects: byte-exact trees, pre-restore snapshots (a subset of the overwritten tree),
 * git working copies (files, HEAD, unpushed commits, stash) and a board's files.
 */
import { join } from 'node:path';
import { restore } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { createLocalTarget } from '@cairn/transport';
import { createWorkingCopyRebuilder } from '@cairn/vcs';
import { gitFacts } from '../../../vcs/test/git-scenario.js';
import { readTree } from '../../../vcs/test/helpers.js';
import type { ModelSnapshot } from './model-state.js';
import { describeTree, diffTrees, withoutLinks } from './tree-state.js';
import type { TreeState } from './tree-state.js';
import type { World } from './world.js';

/** A board keeps no modes or links: "dir" and "file <size> <hash>" only. */
export function boardView(state: TreeState): TreeState {
  return new Map([...state].map(([path, entry]) => [path, entry.startsWith('dir ') ? 'dir' : (withoutLinks(entry) ?? entry).replace(/^file \d+ /, 'file ')]));
}

/** Lines saying how a restore of `s` differs from the model ([] when it is exact). */
export async function restoreMismatch(repo: Repository, world: World, s: ModelSnapshot): Promise<string[]> {
  const out = await world.restoreDir();
  try {
    const localRoot = s.expect.kind === 'git' ? { localRoot: out, workingCopies: createWorkingCopyRebuilder({ localTarget: createLocalTarget }) } : {};
    // Half the restores write their small files on the target's own thread from the first one (by default only from the 257th).
    const wholeFileThreadFrom = Number.parseInt(s.id.slice(-1), 16) % 2 === 0 ? 0 : undefined;
    const target = createLocalTarget(out, wholeFileThreadFrom === undefined ? {} : { wholeFileThreadFrom });
    const result = await restore(repo, s.id, { target, ...localRoot });
    const lines = result.problems.map((p) => `restore problem: ${p.message}`);
    const expect = s.expect;
    switch (expect.kind) {
      case 'tree':
        return [...lines, ...diffTrees(expect.entries, await describeTree(out))];
      case 'board':
        return [...lines, ...diffTrees(boardView(expect.entries), boardView(await describeTree(out)))];
      case 'subset': {
        const got = await describeTree(out);
        for (const [path, entry] of got) {
          const was = expect.before.get(path);
          if (withoutLinks(was) !== withoutLinks(entry)) lines.push(`differs ${path}: was ${was ?? 'absent'} before the restore, the pre-restore snapshot gives ${entry}`);
        }
        for (const path of expect.required) if (!got.has(path)) lines.push(`missing ${path}: the restore replaced it (${expect.before.get(path) ?? '?'}), yet the pre-restore snapshot lacks it`);
        return lines;
      }
      case 'git': {
        const dir = join(out, expect.name);
        const files = await readTree(dir, ['node_modules']);
        lines.push(...diffTrees(new Map(expect.files), files).map((line) => JSON.stringify(line).slice(0, 200)));
        if (lines.length === 0) {
          const facts = gitFacts(dir);
          for (const [key, want] of Object.entries(expect.facts)) {
            if (facts[key] !== want) lines.push(`git ${key} differs: want ${JSON.stringify(want.slice(0, 300))}, got ${JSON.stringify((facts[key] ?? '').slice(0, 300))}`);
          }
        }
        return lines;
      }
    }
  } catch (error) {
    return [`restore failed: ${(error as Error).message}`];
  } finally {
    await world.dropRestoreDir(out);
  }
}
