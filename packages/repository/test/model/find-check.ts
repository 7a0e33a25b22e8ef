/**
 * find over every snapshot at once, held to the model: `*` (every entry, at any depth) must give
 * each plain snapshot exactly the entries a restore of it gives (same paths, types and sizes),
 * whatever sequence of backups, forgets, prunes and repairs came before, and the grouping must
 * name each snapshot once per entry. One shared walk serves every snapshot (trees are read once).
 */
import { findInSnapshots } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import type { Model } from './model-state.js';
import { describeSnapshot } from './model-state.js';

/** Lines saying how find's answer differs from the model ([] when it agrees). */
export async function findMismatch(repo: Repository, model: Model): Promise<string[]> {
  const lines: string[] = [];
  let result;
  try {
    result = await findInSnapshots(repo, { patterns: ['*'] });
  } catch (error) {
    return [`find * failed: ${(error as Error).message}`];
  }
  const found = new Map<string, Map<string, string>>();
  let hits = 0;
  for (const match of result.matches) {
    if (new Set(match.snapshots).size !== match.snapshots.length) lines.push(`find * names a snapshot twice for ${match.path}`);
    for (const id of match.snapshots) {
      hits += 1;
      let entries = found.get(id);
      if (entries === undefined) found.set(id, (entries = new Map()));
      if (entries.has(match.path)) lines.push(`find * gives ${match.path} twice in snapshot ${id.slice(0, 12)}`);
      const node = match.node!;
      entries.set(match.path, node.type === 'file' ? `file ${node.size}` : node.type);
    }
  }
  if (hits !== result.hits) lines.push(`find * counts ${result.hits} hits but its matches name ${hits}`);
  for (const s of model.snapshots.values()) {
    if (s.expect.kind !== 'tree' || s.undo) continue;
    const got = found.get(s.id) ?? new Map<string, string>();
    for (const [path, entry] of s.expect.entries) {
      const kind = entry.startsWith('file ') ? `file ${entry.split(' ')[2]}` : entry.startsWith('dir ') ? 'dir' : entry.startsWith('symlink ') ? 'symlink' : undefined;
      const have = got.get(path);
      if (have === undefined) lines.push(`find * misses ${path} in snapshot ${describeSnapshot(s)}`);
      else if (kind !== undefined && have !== kind) lines.push(`find * gives ${path} in snapshot ${describeSnapshot(s)} as ${have}, the model has ${entry}`);
    }
    for (const path of got.keys()) if (!s.expect.entries.has(path)) lines.push(`find * gives ${path} in snapshot ${describeSnapshot(s)}, which the model does not have`);
  }
  return lines.slice(0, 8);
}
