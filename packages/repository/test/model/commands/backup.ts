/**
 * Backup of source roots after random edits (engine API, local source): one or two roots, one of
 * two hosts, random tags, a time from the model's clock, sometimes an exclude option. The model
 * records the roots' exact content (less what the exclude option leaves out); the repository must
 * then hold at least that snapshot.
 */
import { resolve } from 'node:path';
import { backup, listSnapshots } from '@cairn/repository';
import type { BackupResult, ExcludeOptions, Repository } from '@cairn/repository';
import { createLocalSource } from '@cairn/transport';
import { createProjectSelector } from '@cairn/vcs/selector';
import type fc from 'fast-check';
import { applyEdits, editText } from '../edits.js';
import type { Edit } from '../edits.js';
import { checkInvariants } from '../invariants.js';
import { addSnapshot, advanceClock, describeSnapshot } from '../model-state.js';
import type { Expectation, Model } from '../model-state.js';
import { begin } from '../settings.js';
import { describeTree, subtree } from '../tree-state.js';
import type { TreeState } from '../tree-state.js';
import { ROOTS } from '../world.js';
import type { World } from '../world.js';

/** What a backup of roots is made of (shared with the quota backup). */
export interface RootsBackup {
  /** Indexes into ROOTS (distinct, one or two). */
  readonly roots: readonly number[];
  /** 0: this machine's host name (the one restore-undo snapshots get); 1: another host. */
  readonly host: 0 | 1;
  readonly tags: readonly string[];
  /** Hours the clock moves before this backup. */
  readonly hours: number;
  /** Edits of the first root before the backup. */
  readonly edits: readonly Edit[];
  /** True: `--no-delta` (every new chunk stored whole); else changed chunks may be deltas against the parent's. */
  readonly noDelta?: boolean;
  /** True: `--no-group` (every small new blob in a frame of its own); else runs of small blobs share group frames. */
  readonly noGroup?: boolean;
}

/** "alpha+beta host1 [keep] +5h (write a …; delete d1)" */
export function rootsText(p: RootsBackup): string {
  const names = p.roots.map((i) => ROOTS[i] ?? '?').join('+');
  return `${names} host${p.host} [${p.tags.join(',')}] +${p.hours}h${p.noDelta === true ? ' no-delta' : ''}${p.noGroup === true ? ' no-group' : ''}${policed(p) ? ' policy' : ''} (${p.edits.map(editText).join('; ')})`;
}

/**
 * Whether the backup asks the default policy about its entries (no working copies): an odd number
 * of hours. The model's names match no stack marker, .gitignore or glob, so the policy skips
 * nothing, and its folders are decided by name (EntrySelector.byName): the snapshot must be the same.
 */
export function policed(p: RootsBackup): boolean {
  return p.hours % 2 === 1;
}

/** Applies the edits and returns the roots' paths and what they hold now (paths start with the root names). */
export async function prepareRoots(world: World, p: RootsBackup): Promise<{ paths: string[]; entries: TreeState }> {
  const names = p.roots.map((i) => ROOTS[i] ?? 'alpha');
  await applyEdits(world.root(names[0] ?? 'alpha'), p.edits);
  const all = await describeTree(world.sources);
  const entries: TreeState = new Map();
  for (const name of names) for (const [path, entry] of subtree(all, name)) entries.set(path, entry);
  return { paths: names.map((name) => world.root(name)), entries };
}

/** Runs the backup itself. */
export function backupRoots(repo: Repository, p: RootsBackup, paths: readonly string[], time: Date, exclude?: ExcludeChoice): Promise<BackupResult> {
  return backup(repo, {
    source: createLocalSource(), paths, tags: p.tags, time, ...(p.host === 1 ? { hostname: 'other-host' } : {}), ...excludeOption(exclude ?? null),
    ...(p.noDelta === true ? { deltas: false } : {}),
    ...(p.noGroup === true ? { groups: false } : {}),
    ...(policed(p) ? { selector: createProjectSelector({ roots: paths.map((path) => resolve(path)), vcs: 'off', policy: () => ({}) }) } : {}),
  });
}

/** The backup option an ExcludeChoice stands for. */
export function excludeOption(exclude: ExcludeChoice): { exclude?: ExcludeOptions } {
  if (exclude === null) return {};
  if ('largerThan' in exclude) return { exclude: { largerThan: exclude.largerThan } };
  return { exclude: exclude.caseInsensitive ? { caseInsensitivePatterns: [exclude.pattern] } : { patterns: [exclude.pattern] } };
}

/**
 * The exclude option of a backup: none, a pattern (names no folder above the roots can have:
 * `d3`, `b`, `d1/a`, or case-insensitive `D2`), or a size limit.
 */
export type ExcludeChoice = null | { readonly pattern: string; readonly caseInsensitive: boolean } | { readonly largerThan: number };

/**
 * What a backup with `exclude` holds of `entries` (paths start with the root names): an oracle of
 * its own, component by component, not the engine's matcher. Hardlink groups are named again by
 * their first name left, and a name left alone is a plain file.
 */
export function excludedFrom(entries: TreeState, exclude: ExcludeChoice): TreeState {
  if (exclude === null) return entries;
  const words = 'pattern' in exclude ? exclude.pattern.toLowerCase().split('/') : [];
  const kept = [...entries].filter(([path, entry]) => {
    if ('largerThan' in exclude) return !(entry.startsWith('file ') && Number(entry.split(' ')[2]) > exclude.largerThan);
    const below = path.split('/').slice(1).map((c) => (exclude.caseInsensitive ? c.toLowerCase() : c));
    return !below.some((_, i) => words.every((word, j) => below[i + j] === word));
  });
  const groups = new Map<string, string[]>();
  for (const [path, entry] of kept) {
    const first = / linked-with (.*)$/.exec(entry)?.[1];
    if (first !== undefined) groups.set(first, [...(groups.get(first) ?? []), path]);
  }
  return new Map(kept.map(([path, entry]) => {
    const first = / linked-with (.*)$/.exec(entry)?.[1];
    const names = first === undefined ? [] : groups.get(first) ?? [];
    if (first === undefined) return [path, entry];
    const plain = entry.replace(/ linked-with .*$/, '');
    return [path, names.length < 2 ? plain : `${plain} linked-with ${names[0]}`];
  }));
}

/** " exclude d3", " iexclude D2", " exclude-larger-than 3000", or "". */
export function excludeText(exclude: ExcludeChoice | undefined): string {
  if (exclude === undefined || exclude === null) return '';
  return 'largerThan' in exclude ? ` exclude-larger-than ${exclude.largerThan}` : ` ${exclude.caseInsensitive ? 'iexclude' : 'exclude'} ${exclude.pattern}`;
}

/** Adds a finished backup to the model; problems when it was partial or the repository does not list it. */
export async function recordBackup(model: Model, world: World, label: string, result: BackupResult, expect: Expectation): Promise<string[]> {
  const problems: string[] = [];
  if (result.partial) problems.push(`the backup was partial: ${result.warnings.map((w) => w.message).join('; ')}`);
  const s = result.snapshot;
  const parent = s.parent === null ? undefined : model.snapshots.get(Buffer.from(s.parent).toString('hex'));
  if (parent?.protect === true) problems.push(`the backup's parent is ${describeSnapshot(parent)}, a protect snapshot (a backup's parent is a backup)`);
  if (parent?.undo === true) problems.push(`the backup's parent is ${describeSnapshot(parent)}, a pre-restore snapshot (a backup's parent is a backup)`);
  addSnapshot(model, { id: result.id, label, hostname: s.hostname, paths: s.paths, time: model.clock, tags: s.tags, undo: false, expect });
  const listed = (await listSnapshots(await world.open())).snapshots;
  if (listed.length === 0) problems.push('the repository holds no snapshot after a successful backup');
  else if (!listed.some((e) => e.id === result.id)) problems.push(`the repository does not list the new snapshot ${result.id.slice(0, 12)}`);
  return problems;
}

/** A backup of source roots. */
export class BackupCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly p: RootsBackup & { readonly exclude?: ExcludeChoice }) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, world: World): Promise<void> {
    const label = begin(model, 'backup', this.toString());
    const { paths, entries } = await prepareRoots(world, this.p);
    const time = advanceClock(model, this.p.hours);
    const exclude = this.p.exclude ?? null;
    const result = await backupRoots(await world.open(), this.p, paths, time, exclude);
    await checkInvariants(model, world, label, await recordBackup(model, world, label, result, { kind: 'tree', entries: excludedFrom(entries, exclude) }));
  }

  toString(): string {
    return `backup ${rootsText(this.p)}${excludeText(this.p.exclude)}`;
  }
}
