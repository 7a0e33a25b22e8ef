import { createHash } from 'node:crypto';
import { CairnError, compareNames, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { snapshotPath } from '../repo/names.js';
import { acquireReadLease } from '../locks/lease.js';
import { findSnapshot } from '../repo/snapshots.js';
import type { BlobLoader, IndexLookup, Repository } from '../repo/repository.js';

/**
 * What happened to one entry between two snapshots: `added` (+), `removed` (-), `modified` (M:
 * other content, symlink target or device number), `metadata` (U: same content, other mode,
 * owner, mtime or extended attributes), `type` (T: e.g. a file became a symlink), `renamed` (R:
 * a removed and an added file with the same content).
 */
export type DiffKind = 'added' | 'removed' | 'modified' | 'metadata' | 'type' | 'renamed';

/** The one-letter mark of each DiffKind, as `cairn diff` prints it. */
export const DIFF_MARKS: Readonly<Record<DiffKind, string>> = {
  added: '+', removed: '-', modified: 'M', metadata: 'U', type: 'T', renamed: 'R',
};

/** One changed entry. */
export interface DiffChange {
  readonly kind: DiffKind;
  /** The entry's path ('/'-separated, no leading '/'): its new path for a rename, its old one for a removal. */
  readonly path: string;
  /** Renames only: where the file was. */
  readonly oldPath?: string;
  /** The entry in the first snapshot (absent when added). */
  readonly before?: TreeNode;
  /** The entry in the second snapshot (absent when removed). */
  readonly after?: TreeNode;
  /** Bytes added: an added file's size; for a modified file, the size of the chunks the old file lacks. */
  readonly addedBytes: number;
  /** Bytes removed: a removed file's size; for a modified file, the size of the chunks the new file lacks. */
  readonly removedBytes: number;
  /** Metadata changes only: which of mode, uid, gid, mtime, xattrs differ. */
  readonly fields?: readonly string[];
}

/** Counts of one side of a diff. */
export interface DiffCounts {
  /** Regular files. */
  files: number;
  dirs: number;
  /** Symlinks, devices, fifos, sockets. */
  others: number;
  bytes: number;
}

/** What a diff found, in numbers. */
export interface DiffSummary {
  /** Entries that are new (renames and type changes aside). */
  readonly added: DiffCounts;
  /** Entries that are gone (renames and type changes aside). */
  readonly removed: DiffCounts;
  modified: number;
  metadata: number;
  typeChanged: number;
  renamed: number;
  /** Tree blobs read: the cost of the diff, which follows the change, not the tree. */
  treesLoaded: number;
}

/** One side of a diff: a snapshot (id, unique prefix or "latest") and optionally a path in it. */
export interface DiffSide {
  readonly ref: string;
  readonly path?: string;
}

/** The outcome of diffSnapshots. */
export interface DiffResult {
  /** The snapshots compared (full ids) and the paths in them ('' for the whole snapshot). */
  readonly from: { readonly id: string; readonly path: string };
  readonly to: { readonly id: string; readonly path: string };
  /** Every change, depth-first in name order (a rename stands where its new path is). */
  readonly changes: readonly DiffChange[];
  readonly summary: DiffSummary;
}

/**
 * Compares two snapshots, or a folder or file in each. Subtrees with the same tree id and equal
 * folder metadata are skipped unread, so the trees loaded follow the change, not the tree size.
 * Paths in the result are below the compared folders, with the path itself in front when both
 * sides name the same one. Files recorded by reference (`--vcs changes`) compare by their VCS id,
 * and with a stored copy of the same size by the git blob id of its bytes (a pushed file is unchanged).
 * Renames: a removed and an added non-empty file with the same content (the same list of content
 * ids, or the same VCS id) pair up; where several share a content, pairs with the same base name
 * come first, then the rest pair in path order; unpaired ones stay removed or added.
 */
export async function diffSnapshots(repo: Repository, from: DiffSide, to: DiffSide): Promise<DiffResult> {
  const lease = await acquireReadLease(repo, 'diff');
  try {
    const a = await findSnapshot(repo, from.ref);
    const b = await findSnapshot(repo, to.ref);
    const pathA = splitPath(from.path);
    const pathB = splitPath(to.path);
    const differ = new TreeDiffer(repo, snapshotPath(pathA) === snapshotPath(pathB) ? pathB : []);
    const rootA = await differ.locate(a.snapshot.tree, pathA, a.id);
    const rootB = await differ.locate(b.snapshot.tree, pathB, b.id);
    if (rootA.tree !== undefined && rootB.tree !== undefined) await differ.trees(rootA.tree, rootB.tree, differ.prefix);
    else {
      const name = differ.prefix.length > 0 ? differ.prefix : [rootB.node?.name ?? rootA.node?.name ?? ''];
      await differ.entry(name, rootA.node, rootB.node);
    }
    const changes = pairRenames(differ.changes);
    return { from: { id: a.id, path: snapshotPath(pathA) }, to: { id: b.id, path: snapshotPath(pathB) }, changes, summary: summarize(changes, differ.loads) };
  } finally {
    await lease?.release();
  }
}

function splitPath(path: string | undefined): string[] {
  return (path ?? '').split('/').filter((part) => part !== '' && part !== '.');
}

/** Walks two trees side by side and collects the changes. */
class TreeDiffer {
  readonly changes: DiffChange[] = [];
  loads = 0;

  constructor(private readonly repo: BlobLoader & IndexLookup, readonly prefix: readonly string[]) {}

  /** The folder (its tree) or the entry at `parts` in the snapshot's tree; ERR_NOT_FOUND when there is none. */
  async locate(root: Id, parts: readonly string[], id: string): Promise<{ tree?: Id; node?: TreeNode }> {
    let tree = root;
    let node: TreeNode | undefined;
    for (const [i, part] of parts.entries()) {
      if (node !== undefined && node.subtree === undefined) {
        throw new CairnError('ERR_NOT_FOUND', `snapshot ${id.slice(0, 8)}: ${snapshotPath(parts.slice(0, i))} is not a folder`);
      }
      node = (await this.load(tree, parts.slice(0, i))).find((n) => n.name === part);
      if (node === undefined) {
        throw new CairnError('ERR_NOT_FOUND', `snapshot ${id.slice(0, 8)} has no ${snapshotPath(parts.slice(0, i + 1))}`, {
          hint: `list it with \`cairn ls ${id.slice(0, 8)} ${snapshotPath(parts.slice(0, i))}\``,
        });
      }
      if (node.subtree !== undefined) tree = node.subtree;
    }
    if (node === undefined) return { tree };
    return node.subtree === undefined ? { node } : { tree: node.subtree, node };
  }

  async load(id: Id, parts: readonly string[]): Promise<TreeNode[]> {
    this.loads += 1;
    return this.repo.loadTree(id, `tree of ${snapshotPath(parts) || '/'}`);
  }

  /** The changes between two folders' trees (equal ids: nothing to read). */
  async trees(a: Id, b: Id, parts: readonly string[]): Promise<void> {
    if (sameId(a, b)) return;
    const before = new Map((await this.load(a, parts)).map((n) => [n.name, n]));
    const after = await this.load(b, parts);
    const names = new Set([...before.keys(), ...after.map((n) => n.name)]);
    const byName = new Map(after.map((n) => [n.name, n]));
    for (const name of [...names].sort(compareNames)) await this.entry([...parts, name], before.get(name), byName.get(name));
  }

  /** The changes of one entry (and below it, for folders). */
  async entry(parts: readonly string[], a: TreeNode | undefined, b: TreeNode | undefined): Promise<void> {
    const path = snapshotPath(parts);
    if (a === undefined && b === undefined) return;
    if (a === undefined || b === undefined) {
      const node = (a ?? b) as TreeNode;
      const kind = a === undefined ? 'added' : 'removed';
      this.changes.push(kind === 'added' ? { kind, path, after: node, addedBytes: fileBytes(node), removedBytes: 0 } : { kind, path, before: node, addedBytes: 0, removedBytes: fileBytes(node) });
      if (node.subtree !== undefined) await this.all(kind, node.subtree, parts);
      return;
    }
    if (a.type !== b.type) {
      this.changes.push({ kind: 'type', path, before: a, after: b, addedBytes: fileBytes(b), removedBytes: fileBytes(a) });
      if (a.subtree !== undefined) await this.all('removed', a.subtree, parts);
      if (b.subtree !== undefined) await this.all('added', b.subtree, parts);
      return;
    }
    if (a.type === 'dir') {
      const fields = metadataChanges(a, b, false);
      if (fields.length > 0) this.changes.push({ kind: 'metadata', path, before: a, after: b, addedBytes: 0, removedBytes: 0, fields });
      if (a.subtree !== undefined && b.subtree !== undefined) await this.trees(a.subtree, b.subtree, parts);
      return;
    }
    if (contentKey(a) !== contentKey(b) && !(await this.sameAsReference(a, b))) {
      this.changes.push({ kind: 'modified', path, before: a, after: b, ...this.chunkBytes(a, b) });
      return;
    }
    const fields = metadataChanges(a, b, true);
    if (fields.length > 0) this.changes.push({ kind: 'metadata', path, before: a, after: b, addedBytes: 0, removedBytes: 0, fields });
  }

  /** Every entry below a folder that was added or removed as a whole. */
  private async all(kind: 'added' | 'removed', tree: Id, parts: readonly string[]): Promise<void> {
    for (const node of await this.load(tree, parts)) {
      const childParts = [...parts, node.name];
      if (kind === 'added') await this.entry(childParts, undefined, node);
      else await this.entry(childParts, node, undefined);
    }
  }

  /**
   * A file recorded by reference on one side and stored on the other (pushed since, or edited
   * since): equal when the stored bytes hash to the reference's git blob id. Read only for equal
   * sizes and a 40-digit id; an hg or svn reference never matches, so the file counts as changed.
   */
  private async sameAsReference(a: TreeNode, b: TreeNode): Promise<boolean> {
    const ref = a.ref ?? b.ref;
    const stored = a.ref === undefined ? a : b;
    if (a.type !== 'file' || ref === undefined || stored.content === undefined || a.size !== b.size || !/^[0-9a-f]{40}$/.test(ref.id)) return false;
    const hash = createHash('sha1').update(`blob ${stored.size}\0`);
    for (const id of stored.content) hash.update(await this.repo.loadBlob(id, 'data'));
    return hash.digest('hex') === ref.id;
  }

  /** Bytes of the chunks only the new file has, and of those only the old one has (whole sizes for files recorded by reference). */
  private chunkBytes(a: TreeNode, b: TreeNode): { addedBytes: number; removedBytes: number } {
    if (a.content === undefined || b.content === undefined) return { addedBytes: fileBytes(b), removedBytes: fileBytes(a) };
    const inA = new Set(a.content.map(toHex));
    const inB = new Set(b.content.map(toHex));
    const size = (id: Id): number => this.repo.index.lookup(id)?.rawLength ?? 0;
    let addedBytes = 0;
    let removedBytes = 0;
    for (const id of b.content) if (!inA.has(toHex(id))) addedBytes += size(id);
    for (const id of a.content) if (!inB.has(toHex(id))) removedBytes += size(id);
    return { addedBytes, removedBytes };
  }
}

function sameId(a: Id, b: Id): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A regular file's size (0 for anything else). */
function fileBytes(node: TreeNode): number {
  return node.type === 'file' ? node.size : 0;
}

/**
 * What a node's content is, as a string that is equal exactly when the content is: the content
 * ids, the VCS id of a file recorded by reference, a symlink's target, a device's number.
 */
export function contentKey(node: TreeNode): string {
  if (node.ref !== undefined) return `ref ${node.ref.id}`;
  if (node.type === 'symlink') return `link ${node.linkTarget ?? ''}`;
  if (node.type === 'file') return `blobs ${(node.content ?? []).map(toHex).join(',')}`;
  return `dev ${node.rdev ?? 0}`;
}

/** The metadata fields that differ. A folder's mtime moves whenever an entry in it does, so it is left out for folders. */
function metadataChanges(a: TreeNode, b: TreeNode, withMtime: boolean): string[] {
  const fields: string[] = [];
  if (a.mode !== b.mode) fields.push('mode');
  if (a.uid !== b.uid) fields.push('uid');
  if (a.gid !== b.gid) fields.push('gid');
  if (withMtime && a.mtimeNs !== b.mtimeNs) fields.push('mtime');
  if (xattrKey(a) !== xattrKey(b)) fields.push('xattrs');
  return fields;
}

function xattrKey(node: TreeNode): string {
  return (node.xattrs ?? []).map((x) => `${x.name}=${toHex(x.value)}`).join('\n');
}

/** Replaces each removed/added pair of files with the same content by one rename, at the added file's place. */
function pairRenames(changes: readonly DiffChange[]): DiffChange[] {
  const candidate = (c: DiffChange, node: TreeNode | undefined): node is TreeNode => node !== undefined && node.type === 'file' && node.size > 0 && (c.kind === 'added' || c.kind === 'removed');
  const removed = new Map<string, DiffChange[]>();
  const added = new Map<string, DiffChange[]>();
  for (const c of changes) {
    const node = c.kind === 'added' ? c.after : c.before;
    if (!candidate(c, node)) continue;
    const into = c.kind === 'added' ? added : removed;
    const key = contentKey(node);
    into.set(key, [...(into.get(key) ?? []), c]);
  }
  const renameOf = new Map<DiffChange, DiffChange>();
  const paired = new Set<DiffChange>();
  for (const [key, gone] of removed) {
    const fresh = added.get(key);
    if (fresh === undefined) continue;
    const pair = (old: DiffChange, now: DiffChange): void => {
      renameOf.set(now, { kind: 'renamed', path: now.path, oldPath: old.path, before: old.before, after: now.after, addedBytes: 0, removedBytes: 0 });
      paired.add(old).add(now);
    };
    for (const old of gone) {
      const now = fresh.find((c) => !paired.has(c) && baseName(c.path) === baseName(old.path));
      if (now !== undefined) pair(old, now);
    }
    const restNew = fresh.filter((c) => !paired.has(c));
    const restOld = gone.filter((c) => !paired.has(c));
    for (const [i, old] of restOld.entries()) {
      const now = restNew[i];
      if (now !== undefined) pair(old, now);
    }
  }
  const out: DiffChange[] = [];
  for (const c of changes) {
    const rename = renameOf.get(c);
    if (rename !== undefined) out.push(rename);
    else if (!paired.has(c)) out.push(c);
  }
  return out;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function summarize(changes: readonly DiffChange[], treesLoaded: number): DiffSummary {
  const zero = (): DiffCounts => ({ files: 0, dirs: 0, others: 0, bytes: 0 });
  const summary: DiffSummary = { added: zero(), removed: zero(), modified: 0, metadata: 0, typeChanged: 0, renamed: 0, treesLoaded };
  const count = (counts: DiffCounts, node: TreeNode | undefined): void => {
    if (node === undefined) return;
    if (node.type === 'file') counts.files += 1;
    else if (node.type === 'dir') counts.dirs += 1;
    else counts.others += 1;
  };
  for (const c of changes) {
    summary.added.bytes += c.addedBytes;
    summary.removed.bytes += c.removedBytes;
    switch (c.kind) {
      case 'added': count(summary.added, c.after); break;
      case 'removed': count(summary.removed, c.before); break;
      case 'modified': summary.modified += 1; break;
      case 'metadata': summary.metadata += 1; break;
      case 'type': summary.typeChanged += 1; break;
      case 'renamed': summary.renamed += 1; break;
    }
  }
  return summary;
}
