import { sameOrigin, snapshotKind } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { searchSnapshots, snapshotOf } from './grep.js';
import type { GrepOptions, GrepSnapshot, GrepSummary } from './grep.js';
import { byPath, holdersOf, pathOf } from './grep-walk.js';

/**
 * One stretch of a path's history, within one group of snapshots (same host and paths), in which
 * its content matches: from the snapshot where the match appears to the last one holding it.
 */
export interface PickaxeSpan {
  readonly path: string;
  readonly host: string;
  readonly paths: string[];
  /** The first snapshot of the group whose content at `path` matches. */
  readonly introduced: GrepSnapshot;
  /** The last snapshot of the stretch that still matches. */
  readonly last: GrepSnapshot;
  /** The next snapshot of the group, where the path no longer matches (changed or gone); null while it still matches in the newest. */
  readonly removed: GrepSnapshot | null;
}

/**
 * When a pattern appeared and disappeared (git log -S across snapshots): for each path whose
 * content matches in some snapshot, per group of snapshots of the same host, paths and kind (oldest
 * first), each maximal run of consecutive snapshots where it matches. A string that appears,
 * disappears and comes back gives two spans. Spans come in path order, then group, then time.
 */
export async function pickaxe(repo: Repository, options: GrepOptions): Promise<{ spans: PickaxeSpan[]; summary: GrepSummary }> {
  const { snapshots, records, counts, summary } = await searchSnapshots(repo, { ...options, maxCount: 1, keepLines: false, before: 0, after: 0 });
  // Which snapshots (indices) hold a matching content at each path.
  const matching = new Map<string, Set<number>>();
  for (const record of records.filter((r) => (counts[r.content] ?? 0) > 0).sort(byPath)) {
    const path = pathOf(record);
    let set = matching.get(path);
    if (set === undefined) matching.set(path, (set = new Set()));
    for (const i of holdersOf(record)) set.add(i);
  }
  const groups: number[][] = [];
  for (const [i, { snapshot }] of snapshots.entries()) {
    // A pre-restore snapshot holds only what a restore replaced: it is grouped apart, as retention does.
    const group = groups.find((g) => sameOrigin(snapshots[g[0]!]!.snapshot, snapshot) && snapshotKind(snapshots[g[0]!]!.snapshot) === snapshotKind(snapshot));
    if (group === undefined) groups.push([i]);
    else group.push(i);
  }
  const spans: PickaxeSpan[] = [];
  for (const [path, holding] of matching) {
    for (const group of groups) {
      const { hostname, paths } = snapshots[group[0]!]!.snapshot;
      let start = -1;
      for (let k = 0; k <= group.length; k += 1) {
        const on = k < group.length && holding.has(group[k]!);
        if (on && start === -1) start = k;
        if (!on && start !== -1) {
          spans.push({
            path,
            host: hostname,
            paths: [...paths],
            introduced: snapshotOf(snapshots[group[start]!]!),
            last: snapshotOf(snapshots[group[k - 1]!]!),
            removed: k < group.length ? snapshotOf(snapshots[group[k]!]!) : null,
          });
          start = -1;
        }
      }
    }
  }
  return { spans, summary };
}
