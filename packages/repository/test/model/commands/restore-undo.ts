/**
 * Restore with backup-existing (restoreUndoable) of a plain snapshot of one root (or of an import:
 * a snapshot of "/" whose root entries are the archive's top-level ones) back into the sources
 * folder, over the root's current, usually different, files. After it: every entry of
 * the snapshot is in place; every file or link it replaced is in the pre-restore snapshot, which
 * the model adds (holding exactly what it held before); a non-empty folder standing where the
 * snapshot has a file is not deleted but refused with a problem naming it (issue item 5).
 */
import { basename } from 'node:path';
import { restoreUndoable } from '@cairn/repository';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import type fc from 'fast-check';
import { checkInvariants } from '../invariants.js';
import { addSnapshot, plainSnapshots } from '../model-state.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import { describeTree, subtree, withoutLinks } from '../tree-state.js';
import type { TreeState } from '../tree-state.js';
import type { World } from '../world.js';

/** Folders of `before` that hold something, where `snapshot` has a non-folder. */
function foldersInTheWay(before: TreeState, snapshot: TreeState): string[] {
  const out: string[] = [];
  for (const [path, entry] of snapshot) {
    if (entry.startsWith('dir ') || !before.get(path)?.startsWith('dir ')) continue;
    if ([...before.keys()].some((p) => p.startsWith(`${path}/`))) out.push(path);
  }
  return out;
}

/** The top-level names a restore of a snapshot of `path` (entries `wanted`) writes: the path's last name, or for "/" those of its entries. */
function rootNames(path: string, wanted: TreeState): string[] {
  const name = basename(path);
  return name === '' ? [...new Set([...wanted.keys()].map((p) => p.split('/')[0] ?? p))] : [name];
}

/** The entries of `state` at or below one of the top-level names `tops`. */
function within(state: TreeState, tops: readonly string[]): TreeState {
  return new Map(tops.flatMap((top) => [...subtree(state, top)]));
}

function under(path: string, folders: readonly string[]): boolean {
  return folders.some((folder) => path === folder || path.startsWith(`${folder}/`));
}

/** A restore with backup-existing. */
export class RestoreUndoCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: { readonly pick: number }) {}

  check(model: Readonly<Model>): boolean {
    return plainSnapshots(model as Model).length > 0;
  }

  async run(model: Model, world: World): Promise<void> {
    const candidates = plainSnapshots(model);
    const chosen = candidates[this.p.pick % candidates.length];
    if (chosen?.expect.kind !== 'tree') throw new Error('no plain snapshot to restore');
    const label = begin(model, 'restore-undo', `${this.toString()}: ${chosen.id.slice(0, 12)} (${chosen.label})`);
    const wanted = chosen.expect.entries;
    // The restore writes the snapshot's root entries into the folder: one root (`alpha`, `stdin`) for a
    // backup of one path, whatever the archive held at its top for an import (a snapshot of "/").
    const tops = rootNames(chosen.paths[0] ?? '', wanted);
    const before = within(await describeTree(world.sources), tops);
    const result = await restoreUndoable(await world.open(), chosen.id, {
      target: createLocalTarget(world.sources),
      source: createLocalSource(),
      targetPath: world.sources,
    });
    const after = within(await describeTree(world.sources), tops);
    const problems: string[] = [];

    const blocked = foldersInTheWay(before, wanted);
    for (const folder of blocked) {
      if (!after.get(folder)?.startsWith('dir ')) problems.push(`the restore deleted the non-empty folder ${folder}, where the snapshot has ${wanted.get(folder) ?? '?'}`);
      if (!result.restore.problems.some((p) => p.path === folder || folder.endsWith(`/${p.path}`) || p.path.endsWith(folder))) problems.push(`the restore reported no problem for ${folder}, a non-empty folder where the snapshot has a file`);
    }
    for (const p of result.restore.problems) {
      if (!blocked.some((folder) => p.path === folder || p.path.endsWith(folder) || folder.endsWith(p.path))) problems.push(`restore problem: ${p.message}`);
    }
    for (const [path, want] of wanted) {
      if (under(path, blocked)) continue;
      const got = after.get(path);
      if (withoutLinks(got) !== withoutLinks(want)) problems.push(`after the restore ${path} is ${got ?? 'absent'}, not ${want}`);
    }
    // What the restore replaced must be in the pre-restore snapshot.
    const replaced = [...before].filter(([path, was]) => !was.startsWith('dir ') && withoutLinks(after.get(path)) !== withoutLinks(was)).map(([path]) => path);
    if (result.backup === null) {
      if (replaced.length > 0) problems.push(`the restore replaced ${replaced.join(', ')} but made no pre-restore snapshot`);
    } else {
      const s = result.backup.snapshot;
      addSnapshot(model, {
        id: result.backup.id, label, hostname: s.hostname, paths: s.paths, time: Number(s.time / 1_000_000n), tags: s.tags, undo: true,
        expect: { kind: 'subset', before, required: replaced },
      });
    }
    await checkInvariants(model, world, label, problems);
  }

  toString(): string {
    return `restore-undo #${this.p.pick}`;
  }
}
