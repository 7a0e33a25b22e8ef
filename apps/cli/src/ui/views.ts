/** How the web UI's API shows engine objects as JSON: snapshots and tree entries. */
import type { TreeNode } from '@cairn/index';
import { shortId, toHex } from '@cairn/core';
import { snapshotKind } from '@cairn/repository';
import type { SnapshotEntry } from '@cairn/repository';
import { snapshotProject } from '../projects.js';

/** ISO 8601 of a time in nanoseconds since 1970. */
export function isoTime(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** A snapshot as /api/snapshots lists it. */
export interface SnapshotView {
  readonly id: string;
  readonly short: string;
  readonly time: string;
  readonly host: string;
  readonly paths: readonly string[];
  readonly tags: readonly string[];
  readonly kind: string;
  readonly parent: string | null;
  readonly project: string | null;
  readonly client: string | null;
  readonly summary: { files: number; dirs: number; bytesRead: number; bytesAdded: number; storedAdded: number };
}

/** One snapshot for the API. `bytesAdded` and `storedAdded` are both the stored (compressed) bytes the backup added. */
export function snapshotView({ id, snapshot }: SnapshotEntry): SnapshotView {
  const s = snapshot.summary;
  const project = snapshotProject(snapshot);
  return {
    id,
    short: shortId(id),
    time: isoTime(snapshot.time),
    host: snapshot.hostname,
    paths: snapshot.paths,
    tags: snapshot.tags,
    kind: snapshotKind(snapshot),
    parent: snapshot.parent === null ? null : toHex(snapshot.parent),
    project: project.project,
    client: project.client,
    summary: { files: s.filesNew + s.filesChanged + s.filesUnchanged + s.filesReferenced, dirs: s.dirs, bytesRead: s.bytesRead, bytesAdded: s.bytesAdded, storedAdded: s.bytesAdded },
  };
}

/** A tree entry for /api/snapshots/:id/ls: file, dir, symlink, or other (fifo, socket, device). */
export function entryView(node: TreeNode): { name: string; type: string; size: number; mode: number; mtime: string; target?: string } {
  const type = node.type === 'file' || node.type === 'dir' || node.type === 'symlink' ? node.type : 'other';
  return { name: node.name, type, size: node.size, mode: node.mode, mtime: isoTime(node.mtimeNs), ...(node.linkTarget === undefined ? {} : { target: node.linkTarget }) };
}
