/**
 * protect (the Protector, kept for the command) of one path of a source root: the root itself
 * (the very paths and host of its backups), a file or folder in it, or a path that does not exist;
 * then random edits of the root, then a rollback or a commit. The model adds the protect snapshot
 * (its tree is the path as it was) and drops what retention reports forgetting; after a rollback
 * the path is as it was and everything else in the root as the edits left it. Retention forgets
 * only protect snapshots of that path, and keeps `keep` of them.
 */
import { lstat, readlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isCairnError } from '@cairn/core';
import { createProtector, PROTECT_TAG, snapshotKind } from '@cairn/repository';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import type fc from 'fast-check';
import { applyEdits, editText } from '../edits.js';
import type { Edit } from '../edits.js';
import { checkInvariants } from '../invariants.js';
import { addSnapshot, advanceClock, describeSnapshot } from '../model-state.js';
import type { Model } from '../model-state.js';
import { begin } from '../settings.js';
import { describeTree, subtree, withoutLinks } from '../tree-state.js';
import type { TreeState } from '../tree-state.js';
import { ROOTS } from '../world.js';
import type { World } from '../world.js';

/** What a protect command does. */
export interface ProtectParams {
  readonly root: number;
  /** A path in the root ('' for the root itself). */
  readonly path: string;
  readonly edits: readonly Edit[];
  readonly then: 'rollback' | 'commit';
  readonly keep: number;
  readonly hours: number;
}

/** The entries of `state` at or below `path`, renamed so that `path` is `name` (a hardlink group is named by its first name left). */
export function reroot(state: TreeState, path: string, name: string): TreeState {
  const kept = [...state].filter(([p]) => p === path || p.startsWith(`${path}/`)).map(([p, e]) => [name + p.slice(path.length), e] as const);
  const names = new Map<string, string[]>();
  for (const [p, e] of kept) {
    const first = / linked-with (.*)$/.exec(e)?.[1];
    if (first !== undefined) names.set(first, [...(names.get(first) ?? []), p]);
  }
  return new Map(kept.map(([p, e]) => {
    const first = / linked-with (.*)$/.exec(e)?.[1];
    if (first === undefined) return [p, e];
    const group = names.get(first) ?? [];
    const plain = e.replace(/ linked-with .*$/, '');
    return [p, group.length < 2 ? plain : `${plain} linked-with ${group[0]}`];
  }));
}

function within(p: string, path: string): boolean {
  return p === path || p.startsWith(`${path}/`);
}

/** A protect, edits, then a rollback or a commit. */
export class ProtectCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: ProtectParams) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'protect', this.toString());
    const rootName = ROOTS[this.p.root] ?? 'alpha';
    const inModel = this.p.path === '' ? rootName : `${rootName}/${this.p.path}`;
    const abs = this.p.path === '' ? world.root(rootName) : `${world.root(rootName)}/${this.p.path}`;
    const name = inModel.split('/').pop()!;
    const before = subtree(await describeTree(world.sources), rootName);
    const time = advanceClock(model, this.p.hours);
    const protector = createProtector(await world.open(), { source: createLocalSource(), target: createLocalTarget, tool: 'model', keep: this.p.keep });
    const problems: string[] = [];
    const linksBefore = await linksTo(dirname(abs));
    let handle: Awaited<ReturnType<typeof protector.protect>>;
    try {
      handle = await protector.protect([abs], { reason: label, time });
    } catch (error) {
      // A path an earlier change made unreachable (a symlink loop a refused rollback left) cannot be
      // protected: a clear error, no snapshot, nothing changed.
      await protector.close();
      if (!isCairnError(error) || (error.cause as { code?: string } | undefined)?.code !== 'ELOOP') throw error;
      await checkInvariants(model, world, label, []);
      return;
    }
    const existed = before.has(inModel);
    if (handle.snapshotId === null || handle.snapshot === null) {
      if (existed) problems.push(`protect of ${inModel}, which exists, made no snapshot`);
    } else {
      const s = handle.snapshot;
      if (!existed) problems.push(`protect of ${inModel}, which does not exist, made snapshot ${handle.snapshotId.slice(0, 12)}`);
      if (snapshotKind(s) !== 'protect' || !s.tags.includes(PROTECT_TAG)) problems.push(`the protect snapshot ${handle.snapshotId.slice(0, 12)} is not of kind protect (tags ${s.tags.join(',')})`);
      addSnapshot(model, { id: handle.snapshotId, label, hostname: s.hostname, paths: s.paths, time: model.clock, tags: s.tags, undo: false, protect: true, expect: { kind: 'tree', entries: reroot(before, inModel, name) } });
    }
    for (const id of handle.forgotten) {
      const gone = model.snapshots.get(id);
      if (gone === undefined) problems.push(`protect retention reports forgetting ${id.slice(0, 12)}, which the model does not hold`);
      else if (gone.protect !== true || !gone.paths.includes(abs)) problems.push(`protect retention of ${abs} forgot ${describeSnapshot(gone)}, which is no protect snapshot of it`);
      model.snapshots.delete(id);
    }
    const left = [...model.snapshots.values()].filter((s) => s.protect === true && s.paths.length === 1 && s.paths[0] === abs);
    if (left.length > this.p.keep) problems.push(`after protect with keep ${this.p.keep}, ${left.length} protect snapshots of ${abs} are left`);

    await applyEdits(world.root(rootName), this.p.edits);
    const edited = subtree(await describeTree(world.sources), rootName);
    const redirected = await leadsElsewhere(linksBefore, dirname(abs), existed);
    if (this.p.then === 'commit') {
      await handle.commit();
    } else if (redirected !== null) {
      // The change put something else where the protected path's folder was (a symlink, a file,
      // a new folder): the rollback must refuse and change nothing, never write where that leads.
      let refused = false;
      try {
        await handle.rollback();
      } catch (error) {
        if (!isCairnError(error, 'ERR_EXISTS') || !/cannot roll back/.test(error.message)) throw error;
        refused = true;
      }
      if (!refused) problems.push(`the rollback of ${abs} went ahead though ${redirected}`);
      const after = subtree(await describeTree(world.sources), rootName);
      for (const [p, entry] of edited) if (after.get(p) !== entry) problems.push(`a refused rollback changed ${p}: ${after.get(p) ?? 'absent'}, not ${entry}`);
      for (const [p, got] of after) if (!edited.has(p)) problems.push(`a refused rollback made ${p} (${got})`);
    } else {
      await handle.rollback();
      const after = subtree(await describeTree(world.sources), rootName);
      const want = new Map([...[...edited].filter(([p]) => !within(p, inModel)), ...[...before].filter(([p]) => within(p, inModel))]);
      for (const [p, entry] of want) {
        const got = after.get(p);
        if (withoutLinks(got) !== withoutLinks(entry)) problems.push(`after the rollback ${p} is ${got ?? 'absent'}, not ${entry}${within(p, inModel) ? ' (as protected)' : ' (as the edits left it)'}`);
      }
      for (const [p, got] of after) if (!want.has(p)) problems.push(`after the rollback ${p} (${got}) is there, which ${within(p, inModel) ? 'the change created' : 'nothing made'}`);
    }
    await protector.close();
    await checkInvariants(model, world, label, problems.slice(0, 12));
  }

  toString(): string {
    const root = ROOTS[this.p.root] ?? '?';
    return `protect ${this.p.path === '' ? root : `${root}/${this.p.path}`} keep ${this.p.keep} +${this.p.hours}h, edits (${this.p.edits.map(editText).join('; ')}), ${this.p.then}`;
  }
}

/** The symlinks on the way from "/" to `folder` and their targets (a missing or non-folder component ends the walk). */
async function linksTo(folder: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  let at = '';
  for (const name of folder.split('/').filter((part) => part !== '')) {
    at = `${at}/${name}`;
    try {
      const stat = await lstat(at);
      if (stat.isSymbolicLink()) links.set(at, await readlink(at));
      else if (!stat.isDirectory()) break;
    } catch {
      break;
    }
  }
  return links;
}

/**
 * Why a rollback into `folder` would lead elsewhere than at protect, or null: on the way from "/",
 * a component is now a symlink that was not one then (`before`) or points elsewhere, or (for a
 * path that existed) a file or something unreachable. Gone is fine: a rollback makes the folders again.
 */
async function leadsElsewhere(before: Map<string, string>, folder: string, existed: boolean): Promise<string | null> {
  let at = '';
  for (const name of folder.split('/').filter((part) => part !== '')) {
    at = `${at}/${name}`;
    let stat;
    try {
      stat = await lstat(at);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT') return null;
      return `${at} is unreachable (${code ?? 'error'})`;
    }
    if (stat.isDirectory()) continue;
    if (stat.isSymbolicLink()) {
      if (before.get(at) === await readlink(at)) continue;
      return `${at} is a new symlink`;
    }
    if (!existed) return null;
    return `${at} is no longer a folder`;
  }
  return null;
}
