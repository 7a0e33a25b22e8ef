/**
 * The invariant of per-file history: for a few files of the model's snapshots, fileVersions
 * names every snapshot that holds the file, gives two snapshots the same content id exactly when
 * the model says their bytes are equal, and dumpFile of each version gives those bytes.
 */
import { createHash } from 'node:crypto';
import { dumpFile, fileVersions } from '@cairn/repository';
import type { Repository } from '@cairn/repository';
import type { Model } from './model-state.js';

/** How many distinct file paths are looked at after each command (the first file of each snapshot, the first few). */
const PATHS = 3;

/** Lines saying where fileVersions or dumpFile disagree with the model ([] when they agree). */
export async function versionsMismatch(repo: Repository, model: Model): Promise<string[]> {
  const trees = [...model.snapshots.values()].flatMap((s) => (s.expect.kind === 'tree' ? [{ id: s.id, entries: s.expect.entries }] : []));
  const paths = [...new Set(trees.flatMap(({ entries }) => [...entries].filter(([, entry]) => entry.startsWith('file ')).slice(0, 1).map(([path]) => path)))].slice(0, PATHS);
  const lines: string[] = [];
  for (const path of paths) {
    // The model's "file <mode> <size> <hash16>…": equal size and hash, equal bytes.
    const want = new Map(trees.flatMap(({ id, entries }) => {
      const entry = entries.get(path);
      return entry?.startsWith('file ') === true ? [[id, entry.split(' ').slice(2, 4).join(' ')] as const] : [];
    }));
    let found;
    try {
      found = await fileVersions(repo, path);
    } catch (error) {
      lines.push(`versions ${path} failed: ${(error as Error).message}`);
      continue;
    }
    const contentOf = new Map(found.versions.flatMap((v) => v.holders.map((h) => [h.snapshotId, v.contentId] as const)));
    const bytesOf = new Map<string, string>();
    for (const [id, bytes] of want) {
      const content = contentOf.get(id);
      if (content === undefined) {
        lines.push(`versions ${path} leaves out snapshot ${id.slice(0, 12)}, which holds it (${bytes})`);
        continue;
      }
      const seen = bytesOf.get(content);
      if (seen === undefined) bytesOf.set(content, bytes);
      else if (seen !== bytes) lines.push(`versions ${path}: content ${content.slice(0, 8)} stands for ${seen} and for ${bytes}`);
    }
    if (new Set(want.values()).size !== bytesOf.size && lines.length === 0) lines.push(`versions ${path}: ${bytesOf.size} contents for ${new Set(want.values()).size} distinct byte strings`);
    for (const version of found.versions) {
      const holder = version.holders[0]!;
      const expected = want.get(holder.snapshotId);
      if (expected === undefined) continue;
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const chunk of dumpFile(repo, holder.snapshotId, path)) {
          hash.update(chunk);
          size += chunk.byteLength;
        }
      } catch (error) {
        lines.push(`dump ${holder.snapshotId.slice(0, 12)}:${path} failed: ${(error as Error).message}`);
        continue;
      }
      const got = `${size} ${hash.digest('hex').slice(0, 16)}`;
      if (got !== expected) lines.push(`dump ${holder.snapshotId.slice(0, 12)}:${path} gives ${got}, the model ${expected}`);
    }
  }
  return lines;
}
