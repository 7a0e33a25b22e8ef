/**
 * grep against the model: a pattern every line matches (`^`, binary files included) must find,
 * in each snapshot whose tree the model knows, exactly its non-empty files, each content read
 * once however many snapshots hold it.
 */
import { grep } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import type { Model } from './model-state.js';
import { describeSnapshot } from './model-state.js';

/** Lines saying where grep's (path, snapshots) hits differ from the model ([] when they agree). */
export async function grepMismatch(repo: Repository, model: Model, held: ReadonlySet<string>): Promise<string[]> {
  if (held.size === 0) return [];
  const found = new Map<string, Set<string>>();
  try {
    await grep(repo, { pattern: '^', binary: true, maxCount: 1, keepLines: false }, (hit) => {
      for (const s of hit.snapshots) {
        let paths = found.get(s.id);
        if (paths === undefined) found.set(s.id, (paths = new Set()));
        paths.add(hit.path);
      }
    });
  } catch (error) {
    return [`grep failed: ${(error as Error).message}`];
  }
  const lines: string[] = [];
  for (const s of model.snapshots.values()) {
    if (!held.has(s.id) || s.expect.kind !== 'tree') continue;
    const want = [...s.expect.entries].filter(([, entry]) => /^file \d+ [1-9]/.test(entry)).map(([path]) => path).sort();
    const got = [...(found.get(s.id) ?? [])].sort();
    const missing = want.filter((path) => !got.includes(path));
    const extra = got.filter((path) => !want.includes(path));
    if (missing.length + extra.length > 0) {
      lines.push(`grep '^' over snapshot ${describeSnapshot(s)}: misses ${missing.slice(0, 4).join(', ') || 'nothing'}; finds extra ${extra.slice(0, 4).join(', ') || 'nothing'}`);
    }
  }
  return lines;
}
