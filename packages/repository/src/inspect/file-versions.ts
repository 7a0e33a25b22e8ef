import { CairnError, toHex } from '@cairn/core';
import type { Id, NodeType } from '@cairn/core';
import { blobId } from '@cairn/chunker';
import type { Snapshot, TreeNode } from '@cairn/index';
import { acquireReadLease } from '../locks/lease.js';
import { snapshotPath } from '../repo/names.js';
import { describeFilter, isEmptyFilter, listSnapshots, matchesFilter, PROTECT_REASON_KEY, snapshotKind } from '../repo/snapshots.js';
import type { SnapshotFilter, SnapshotKind, SnapshotProblem } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { createTreeCache, lookupNode } from '../tree/file-lookup.js';

/** One snapshot that holds a version of the file. */
export interface FileVersionHolder {
  readonly snapshotId: string;
  /** The snapshot's time, nanoseconds since 1970. */
  readonly time: bigint;
  /** The file's path in that snapshot ("proj/src/a.ts"). */
  readonly path: string;
  readonly node: TreeNode;
  /** What the snapshot is (a backup, or a protect or pre-restore snapshot: snapshotKind). */
  readonly kind: SnapshotKind;
  /** A protect snapshot's reason (its meta protect.reason). */
  readonly reason?: string;
  /**
   * True when the content came back: the snapshot before this one that holds the file held
   * another version (v1, v2, v1: the third holder of v1 is a return).
   */
  readonly returned: boolean;
}

/** One distinct content of a file: the snapshots holding these bytes, oldest first. */
export interface FileVersion {
  /** 1 for the oldest content, then in the order contents first appear. */
  readonly number: number;
  /**
   * The hex SHA-256 of the file's content blob ids, concatenated in order: equal bytes, equal id.
   * A file recorded by reference (`--vcs changes`) is identified by its VCS object id instead.
   */
  readonly contentId: string;
  readonly size: number;
  /** True for a file recorded by reference: its bytes are in its VCS, not in the repository. */
  readonly byReference: boolean;
  /** Every snapshot holding this content, oldest first; the first is where it appeared. */
  readonly holders: readonly FileVersionHolder[];
}

/** What fileVersions found. */
export interface FileVersionsResult {
  /** Every distinct content, oldest first (a content that comes back keeps its first number). */
  readonly versions: readonly FileVersion[];
  /** How many snapshots were searched (those passing the filter). */
  readonly searched: number;
  /** Snapshots where the path is there but is not a file (a folder, a symlink…). */
  readonly notFiles: readonly { readonly snapshotId: string; readonly path: string; readonly type: NodeType }[];
  /** How many distinct trees were read: each tree once, however many snapshots share it. */
  readonly treesLoaded: number;
  /** Snapshot files that could not be read (skipped). */
  readonly problems: readonly SnapshotProblem[];
}

/**
 * The path of `path` in a snapshot, as entry names. A path starting with '/' that lies at or
 * below one of the snapshot's recorded paths is a path on the backed-up machine
 * (/home/ana/proj/a.ts in a snapshot of /home/ana/proj is proj/a.ts); any other path is a path in
 * the snapshot as `ls` shows it (a leading '/' is ignored).
 */
export function snapshotPathOf(snapshot: Pick<Snapshot, 'paths'>, path: string): string[] {
  const parts = (p: string): string[] => p.split('/').filter((part) => part !== '' && part !== '.');
  if (path.startsWith('/')) {
    for (const recorded of snapshot.paths) {
      if (recorded === '/') return parts(path);
      const root = recorded.replace(/\/+$/, '');
      if (path === root || path.startsWith(`${root}/`)) return [...parts(root).slice(-1), ...parts(path.slice(root.length))];
    }
  }
  return parts(path);
}

/**
 * Every distinct version of one file across the snapshots that pass `filter`, oldest first (see
 * snapshotPathOf for the paths it takes). Each tree is read once however many snapshots hold it.
 * ERR_NOT_FOUND when no snapshot holds a file there (naming the folders or symlinks found instead).
 */
export async function fileVersions(repo: Repository, path: string, options: { readonly filter?: SnapshotFilter } = {}): Promise<FileVersionsResult> {
  if (snapshotPathOf({ paths: [] }, path).length === 0) throw new CairnError('ERR_USAGE', `the path ${JSON.stringify(path)} names no file`, { hint: 'give a path in the snapshot as `cairn ls` shows it, e.g. proj/src/a.ts' });
  const lease = await acquireReadLease(repo, 'versions');
  try {
    return await collect(repo, path, options.filter ?? {});
  } finally {
    await lease?.release();
  }
}

async function collect(repo: Repository, path: string, filter: SnapshotFilter): Promise<FileVersionsResult> {
  const { snapshots, problems } = await listSnapshots(repo);
  const chosen = snapshots.filter((entry) => matchesFilter(entry.snapshot, filter));
  const trees = createTreeCache(repo);
  const byContent = new Map<string, { contentId: string; size: number; byReference: boolean; holders: FileVersionHolder[] }>();
  const notFiles: { snapshotId: string; path: string; type: NodeType }[] = [];
  let previous: string | undefined;
  for (const { id, snapshot } of chosen) {
    const parts = snapshotPathOf(snapshot, path);
    const node = await lookupNode(trees, snapshot.tree, parts, `snapshot ${id.slice(0, 8)}`);
    if (node === null) continue;
    const inSnapshot = snapshotPath(parts);
    if (node.type !== 'file') {
      notFiles.push({ snapshotId: id, path: inSnapshot, type: node.type });
      continue;
    }
    const contentId = contentIdOf(node);
    let version = byContent.get(contentId);
    if (version === undefined) {
      version = { contentId, size: node.size, byReference: node.content === undefined, holders: [] };
      byContent.set(contentId, version);
    }
    const kind = snapshotKind(snapshot);
    const reason = kind === 'protect' ? snapshot.meta[PROTECT_REASON_KEY] : undefined;
    version.holders.push({ snapshotId: id, time: snapshot.time, path: inSnapshot, node, kind, ...(reason === undefined ? {} : { reason }), returned: version.holders.length > 0 && previous !== contentId });
    previous = contentId;
  }
  if (byContent.size === 0) {
    const scope = isEmptyFilter(filter) ? `${chosen.length} snapshot${chosen.length === 1 ? '' : 's'}` : `${chosen.length} snapshot${chosen.length === 1 ? '' : 's'} of ${describeFilter(filter)}`;
    const other = notFiles[0];
    if (other !== undefined) {
      throw new CairnError('ERR_NOT_FOUND', `${other.path} is a ${other.type === 'dir' ? 'folder' : other.type} in snapshot ${other.snapshotId.slice(0, 8)}, not a file, in every snapshot that holds it`, {
        hint: `list what it holds with \`cairn ls ${other.snapshotId.slice(0, 8)} ${other.path}\``,
      });
    }
    throw new CairnError('ERR_NOT_FOUND', `no snapshot holds a file ${path} (searched ${scope})`, {
      hint: 'give the path as `cairn ls <snapshot>` shows it (e.g. proj/src/a.ts), or an absolute path below a backed-up folder',
    });
  }
  // Snapshots are oldest first, so each content's first holder orders the versions.
  const versions = [...byContent.values()].map((v, i) => ({ number: i + 1, ...v }));
  return { versions, searched: chosen.length, notFiles, treesLoaded: trees.loads, problems };
}

/** The content id of a file node (see FileVersion.contentId). */
export function contentIdOf(node: TreeNode): string {
  if (node.content === undefined) return toHex(blobId(new TextEncoder().encode(`ref ${node.ref?.id ?? ''}`)));
  return contentIdOfBlobs(node.content);
}

/** The content id of a file made of these blobs: the SHA-256 of their ids back to back. */
export function contentIdOfBlobs(content: readonly Id[]): string {
  const ids = new Uint8Array(content.length * 32);
  content.forEach((id, i) => ids.set(id, i * 32));
  return toHex(blobId(ids));
}
