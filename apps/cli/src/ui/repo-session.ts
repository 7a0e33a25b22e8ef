/**
 * The repository the web UI serves, opened once for the life of the server. Snapshot files are
 * named by their hash and never change, so each is read from storage once (snapshotMemo); the
 * snapshot folder is listed per request, and the index is loaded again when its files changed
 * (a backup, a prune by another process): every answer reflects the repository as it is now.
 */
import type { Backend, FileInfo, FileType } from '@cairn/core';
import { createSnapshotCache, findSnapshotAmong, openRepository } from '@cairn/repository';
import type { Repository, SnapshotEntry, SnapshotProblem } from '@cairn/repository';
import { openBackend } from '../backend.js';
import { repositoryPassword } from '../password.js';

/** The open repository and what the routes ask of it. */
export interface RepoSession {
  /** The location as given (--repo, CAIRN_REPO or the default). */
  readonly location: string;
  /** The repository with its index up to date with the index files stored now. */
  repo(): Promise<Repository>;
  /** Every readable snapshot, oldest first (the engine's listSnapshots, through its SnapshotCache), and the files that could not be read. */
  snapshots(): Promise<{ snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }>;
  /** The snapshot `ref` names: an id, a unique prefix or "latest" (the engine's findSnapshot, among the cached list). */
  find(ref: string): Promise<SnapshotEntry>;
}

/** Opens the repository at `location` (password as for every command) for the server's lifetime. */
export async function openRepoSession(location: string, passwordFile: string | undefined): Promise<RepoSession> {
  const repository = await openRepository(snapshotMemo(openBackend(location)), { password: repositoryPassword(passwordFile, location) });
  // Each snapshot file is read and decoded once; every call lists the folder (new ones show, removed ones go).
  const cache = createSnapshotCache(repository);
  let reloading: Promise<void> | undefined;
  const upToDate = async (): Promise<void> => {
    const stored = new Set<string>();
    for await (const file of repository.backend.list('index')) stored.add(file.name);
    const loaded = new Set(repository.indexFiles);
    if (stored.size === loaded.size && [...stored].every((name) => loaded.has(name))) return;
    reloading ??= repository.reloadIndex().finally(() => { reloading = undefined; });
    await reloading;
  };
  return {
    location,
    async repo() {
      await upToDate();
      return repository;
    },
    async snapshots() {
      return cache.list();
    },
    async find(ref) {
      return findSnapshotAmong(await cache.list(), ref);
    },
  };
}

/**
 * A backend that keeps the snapshot files it read in memory (a few hundred bytes each): a
 * snapshot file never changes, so listing 1,000 snapshots again costs one folder listing. Files
 * no longer listed are dropped from memory; everything else goes to `backend` unchanged.
 */
export function snapshotMemo(backend: Backend): Backend {
  const kept = new Map<string, Uint8Array>();
  const memo: Backend = Object.create(backend) as Backend;
  return Object.assign(memo, {
    location: backend.location,
    create: () => backend.create(),
    write: (type: FileType, name: string, data: Uint8Array | readonly Uint8Array[], hint?: Parameters<Backend['write']>[3]) => backend.write(type, name, data, hint),
    stat: (type: FileType, name: string) => backend.stat(type, name),
    async read(type: FileType, name: string, range?: Parameters<Backend['read']>[2], hint?: Parameters<Backend['read']>[3]): Promise<Uint8Array> {
      if (type !== 'snapshot' || range !== undefined) return backend.read(type, name, range, hint);
      const known = kept.get(name);
      if (known !== undefined) return known;
      const bytes = await backend.read(type, name);
      kept.set(name, bytes);
      return bytes;
    },
    async *list(type: FileType): AsyncIterable<FileInfo> {
      if (type !== 'snapshot') {
        yield* backend.list(type);
        return;
      }
      const seen = new Set<string>();
      for await (const file of backend.list(type)) {
        seen.add(file.name);
        yield file;
      }
      for (const name of kept.keys()) if (!seen.has(name)) kept.delete(name);
    },
    async remove(type: FileType, name: string): Promise<void> {
      if (type === 'snapshot') kept.delete(name);
      await backend.remove(type, name);
    },
  });
}
