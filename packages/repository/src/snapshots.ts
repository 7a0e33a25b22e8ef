import { CairnError, isCairnError, toHex } from '@cairn/core';
import { blobId } from '@cairn/chunker';
import { decodeSnapshot, encodeSnapshot } from '@cairn/index';
import type { Snapshot } from '@cairn/index';
import { matchIdPrefix } from './prefix.js';
import { checkContentName } from './blob-check.js';
import type { Repository } from './repository.js';

/** A snapshot with its id (the hex SHA-256 of its file). */
export interface SnapshotEntry {
  readonly id: string;
  readonly snapshot: Snapshot;
}

/** A snapshot file that could not be read. */
export interface SnapshotProblem {
  readonly file: string;
  readonly error: CairnError;
}

/** Every readable snapshot, oldest first, and the snapshot files that could not be read. */
export async function listSnapshots(
  repo: Pick<Repository, 'backend'>,
): Promise<{ snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }> {
  const snapshots: SnapshotEntry[] = [];
  const problems: SnapshotProblem[] = [];
  for await (const file of repo.backend.list('snapshot')) {
    try {
      snapshots.push({ id: file.name, snapshot: await readSnapshot(repo, file.name) });
    } catch (error) {
      if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
      problems.push({ file: `snapshots/${file.name}`, error });
    }
  }
  snapshots.sort((a, b) => (a.snapshot.time < b.snapshot.time ? -1 : a.snapshot.time > b.snapshot.time ? 1 : a.id.localeCompare(b.id)));
  return { snapshots, problems };
}

/** Reads one snapshot file and checks it against its name. */
export async function readSnapshot(repo: Pick<Repository, 'backend'>, id: string): Promise<Snapshot> {
  const where = `snapshots/${id}`;
  const bytes = await repo.backend.read('snapshot', id);
  checkContentName(bytes, id, where);
  return decodeSnapshot(bytes, where);
}

/** Writes a snapshot file (named by its hash) and returns its id. */
export async function saveSnapshot(repo: Pick<Repository, 'backend'>, snapshot: Snapshot): Promise<string> {
  const bytes = encodeSnapshot(snapshot);
  const id = toHex(blobId(bytes));
  await repo.backend.write('snapshot', id, bytes);
  return id;
}

/**
 * Finds a snapshot by full id, unique id prefix, or `latest` (the newest).
 * ERR_NOT_FOUND / ERR_AMBIGUOUS name the reference; TypeError when it is not hex.
 */
export async function findSnapshot(repo: Pick<Repository, 'backend'>, ref: string): Promise<SnapshotEntry> {
  const { snapshots } = await listSnapshots(repo);
  if (ref === 'latest') {
    const newest = snapshots[snapshots.length - 1];
    if (newest === undefined) throw new CairnError('ERR_NOT_FOUND', 'there is no snapshot yet, so there is no "latest"');
    return newest;
  }
  return matchIdPrefix(snapshots, (entry) => entry.id, ref, 'snapshot', 'list them with `cairn snapshots`');
}

/** True when two snapshots were taken of the same paths on the same host (parent candidates). */
export function sameOrigin(a: Pick<Snapshot, 'paths' | 'hostname'>, b: Pick<Snapshot, 'paths' | 'hostname'>): boolean {
  if (a.hostname !== b.hostname || a.paths.length !== b.paths.length) return false;
  const sortedA = [...a.paths].sort();
  const sortedB = [...b.paths].sort();
  return sortedA.every((path, i) => path === sortedB[i]);
}
