/** How `backup` and `stats` show what a snapshot records of working copies and skipped entries. */
import type { SkippedEntry, Snapshot, SnapshotWorkingCopy } from '@cairn/index';

/** A recorded working-copy state, in words: "git", "main at 1a2b3c4d", ["2 unpushed", "1 stash", "dirty"]. */
export interface StateView {
  readonly vcs: string;
  readonly at: string;
  readonly details: string[];
}

/** Reads the state JSON a snapshot records for a working copy. */
export function viewState(copy: SnapshotWorkingCopy): StateView {
  const state = JSON.parse(copy.state) as { vcs: string; branch: string | null; head: string | null; unpushed: number; stashes: unknown[]; dirty: boolean };
  const details: string[] = [];
  if (state.unpushed > 0) details.push(`${state.unpushed} unpushed`);
  if (state.stashes.length > 0) details.push(`${state.stashes.length} stash${state.stashes.length === 1 ? '' : 'es'}`);
  details.push(state.dirty ? 'dirty' : 'clean');
  return { vcs: state.vcs, at: `${state.branch ?? 'detached'} at ${(state.head ?? 'no commit').slice(0, 8)}`, details };
}

/** The working copies of a snapshot for --json, their states parsed. */
export function workingCopiesJson(snapshot: Pick<Snapshot, 'vcs'>): { path: string; mode: string; state: unknown }[] {
  return (snapshot.vcs ?? []).map((copy) => ({ path: copy.path, mode: copy.mode, state: JSON.parse(copy.state) as unknown }));
}

/** One skipped entry, with its class and the rule that skipped it. */
export function skippedLine(entry: SkippedEntry): string {
  return `  ${entry.path}  [${entry.class}] ${entry.reason}`;
}
