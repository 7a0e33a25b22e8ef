/**
 * The invariants checked after every command that touches the repository: it holds exactly the
 * snapshots of the model (none gone that no forget removed, none the model does not know), every
 * one restores as it was backed up, per-file versions and dump agree with it (versions-check.ts),
 * the diff of the newest two of the same paths agrees with the model, grep finds each one's files
 * (grep-check.ts), find over all of them agrees (find-check.ts), every delta blob's chain of
 * bases is whole and short, and `check --read-data` finds nothing wrong.
 */
import { toHex } from '@cairn/core';
import { check, listSnapshots } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import { deltaBases, MAX_DELTA_DEPTH } from '../../src/repo/delta-chain.js';
import { COUNTS } from './settings.js';
import { diffMismatch } from './diff-check.js';
import type { Model } from './model-state.js';
import { describeSnapshot } from './model-state.js';
import { grepMismatch } from './grep-check.js';
import { findMismatch } from './find-check.js';
import { restoreMismatch } from './restore-check.js';
import { versionsMismatch } from './versions-check.js';
import type { World } from './world.js';

/** Every delta blob's chain of bases is in the index and at most MAX_DELTA_DEPTH deep (prune kept every base a delta needs; a copy took no delta without its base). */
export function deltaChainProblems(repo: Repository): string[] {
  const problems: string[] = [];
  let count = 0;
  for (const [id, location] of repo.index.entries()) {
    if (location.base === undefined) continue;
    count += 1;
    const chain = deltaBases(repo.index, id);
    COUNTS.deepestChain = Math.max(COUNTS.deepestChain, chain.length);
    if (chain.length > MAX_DELTA_DEPTH) problems.push(`delta blob ${toHex(id).slice(0, 12)} stands on a chain of ${chain.length} deltas (at most ${MAX_DELTA_DEPTH})`);
    const lost = chain.find((base) => repo.index.lookup(base) === undefined);
    if (lost !== undefined) problems.push(`delta blob ${toHex(id).slice(0, 12)} lost its base ${toHex(lost).slice(0, 12)} (not in the index)`);
  }
  COUNTS.mostDeltas = Math.max(COUNTS.mostDeltas, count);
  return problems;
}

/**
 * Every group is whole: its members follow each other in the index with the same frame (offset,
 * length, groupRaw), each inside the group's plaintext, none a delta or a tree (prune's repack
 * regrouped live members, never left a member pointing at a frame of another size).
 */
function groupProblems(repo: Repository): string[] {
  const problems: string[] = [];
  const frames = new Map<string, { length: number; groupRaw: number; members: number }>();
  let grouped = 0;
  for (const [id, location] of repo.index.entries()) {
    if (location.codec !== 'group') continue;
    grouped += 1;
    const name = `group member ${toHex(id).slice(0, 12)}`;
    if (location.type !== 'data' || location.base !== undefined) problems.push(`${name} is a ${location.type} blob${location.base === undefined ? '' : ' with a base'}`);
    const groupAt = location.groupAt ?? -1;
    const groupRaw = location.groupRaw ?? -1;
    if (groupAt < 0 || groupRaw < 0 || groupAt + location.rawLength > groupRaw) problems.push(`${name} lies outside its group (${groupAt}+${location.rawLength} of ${groupRaw})`);
    const key = `${toHex(location.packId)}:${location.offset}`;
    const frame = frames.get(key);
    if (frame === undefined) frames.set(key, { length: location.length, groupRaw, members: 1 });
    else {
      frame.members += 1;
      if (frame.length !== location.length || frame.groupRaw !== groupRaw) problems.push(`${name} names its group's frame as ${location.length} bytes of ${groupRaw}, another member as ${frame.length} of ${frame.groupRaw}`);
    }
  }
  COUNTS.mostGrouped = Math.max(COUNTS.mostGrouped, grouped);
  COUNTS.mostGroups = Math.max(COUNTS.mostGroups, frames.size);
  return problems;
}

/** A broken invariant: the message says after which command and what. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/** Throws InvariantError listing every invariant broken after the command `label`. */
export async function checkInvariants(model: Model, world: World, label: string, extra: readonly string[] = []): Promise<void> {
  const failures = [...extra];
  const repo = await world.open();
  const { snapshots, problems } = await listSnapshots(repo);
  for (const p of problems) failures.push(`unreadable snapshot file ${p.file}: ${p.error.message}`);
  const held = new Set(snapshots.map((s) => s.id));
  for (const s of model.snapshots.values()) {
    if (!held.has(s.id)) failures.push(`snapshot ${describeSnapshot(s)} is gone, though no forget reported removing it`);
  }
  for (const s of snapshots) {
    if (!model.snapshots.has(s.id)) failures.push(`snapshot ${s.id.slice(0, 12)} (${s.snapshot.paths.join(' ')}) is in the repository, but no command reported making it`);
  }
  for (const s of model.snapshots.values()) {
    if (!held.has(s.id)) continue;
    const lines = await restoreMismatch(repo, world, s);
    if (lines.length > 0) failures.push(`snapshot ${describeSnapshot(s)} does not restore as it was backed up:\n      ${lines.join('\n      ')}`);
  }
  failures.push(...deltaChainProblems(repo));
  failures.push(...groupProblems(repo));
  failures.push(...(await versionsMismatch(repo, model)));
  failures.push(...await diffMismatch(repo, [...model.snapshots.values()].filter((s) => held.has(s.id))));
  failures.push(...(await grepMismatch(repo, model, held)));
  failures.push(...await findMismatch(repo, model));
  try {
    const checked = await check(await world.open(), { readData: true });
    for (const p of checked.problems.slice(0, 8)) failures.push(`check --read-data: ${p.file}: ${p.message}`);
    if (checked.problems.length > 8) failures.push(`check --read-data: … and ${checked.problems.length - 8} more problems`);
  } catch (error) {
    failures.push(`check --read-data failed: ${(error as Error).message}`);
  }
  if (failures.length > 0) throw new InvariantError(`after ${label}:\n  - ${failures.join('\n  - ')}`);
}
