import { removeSnapshotFiles } from '../maintenance/forget.js';
import { liveLocks } from '../locks/locks.js';
import { snapshotKind } from '../repo/snapshots.js';
import type { RepositoryFiles } from '../repo/repository.js';
import type { SnapshotEntry } from '../repo/snapshots.js';

/** The meta key of a protect snapshot naming the lease its change holds while open. */
export const PROTECT_LEASE_KEY = 'protect.lease';

/**
 * Which protect snapshots of `hostname` to forget so that each of `paths` keeps its last `keep`
 * (newest first by time): a snapshot goes when every path it holds has `keep` newer protect
 * snapshots. Never `except` (the one just made), never one whose change is still open: its
 * lease (meta protect.lease) is live in some process. `snapshots` oldest first, as listed.
 */
export function protectSnapshotsToForget(snapshots: readonly SnapshotEntry[], options: { readonly paths: readonly string[]; readonly hostname: string; readonly keep: number; readonly except: readonly string[]; readonly liveLeases: ReadonlySet<string> }): SnapshotEntry[] {
  const mine = snapshots.filter((e) => snapshotKind(e.snapshot) === 'protect' && e.snapshot.hostname === options.hostname);
  /** For each path, how many protect snapshots newer than the one at hand hold it (walking newest first). */
  const newer = new Map<string, number>();
  const out: SnapshotEntry[] = [];
  for (let i = mine.length - 1; i >= 0; i -= 1) {
    const entry = mine[i]!;
    const paths = entry.snapshot.paths;
    const touchesAsked = paths.some((p) => options.paths.includes(p));
    const beyond = paths.every((p) => (newer.get(p) ?? 0) >= options.keep);
    const open = options.liveLeases.has(entry.snapshot.meta[PROTECT_LEASE_KEY] ?? '');
    if (touchesAsked && beyond && !open && !options.except.includes(entry.id)) out.push(entry);
    for (const p of paths) newer.set(p, (newer.get(p) ?? 0) + 1);
  }
  return out;
}

/** Forgets what protectSnapshotsToForget names (reading the live leases only when something would go); returns their ids. */
export async function applyProtectRetention(repo: RepositoryFiles, snapshots: readonly SnapshotEntry[], options: { readonly paths: readonly string[]; readonly hostname: string; readonly keep: number; readonly except: readonly string[] }): Promise<string[]> {
  const candidates = protectSnapshotsToForget(snapshots, { ...options, liveLeases: new Set() });
  if (candidates.length === 0) return [];
  const liveLeases = new Set((await liveLocks(repo.backend, 'lease')).map(({ lock }) => lock.token));
  const going = protectSnapshotsToForget(snapshots, { ...options, liveLeases });
  return removeSnapshotFiles(repo, going.map((e) => e.id));
}
