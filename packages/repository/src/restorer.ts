import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { Id, NodeType, Target } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { naming, snapshotPath } from './names.js';
import { createSelection } from './selection.js';
import type { Selection } from './selection.js';
import { findSnapshot } from './snapshots.js';
import type { Repository } from './repository.js';

/** What a restore does with an entry that is already in the target. */
export type OverwritePolicy = 'always' | 'never' | 'if-changed';

/** One thing a restore does (or, with dryRun, would do). */
export interface RestoreAction {
  readonly action: 'create' | 'overwrite' | 'skip' | 'link';
  readonly path: string;
  readonly type: NodeType;
  readonly size: number;
}

/** An entry a restore could not restore, and why. */
export interface RestoreProblem {
  readonly path: string;
  /** A sentence naming `path` and what went wrong. */
  readonly message: string;
}

/** Options of restore(). */
export interface RestoreOptions {
  readonly target: Target;
  /** Snapshot paths or globs to restore (with everything below them); all when empty. */
  readonly include?: readonly string[];
  /** Default 'always'. 'if-changed' keeps a file of the same size and mtime. */
  readonly overwrite?: OverwritePolicy;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  readonly onAction?: (action: RestoreAction) => void;
  readonly onProblem?: (problem: RestoreProblem) => void;
}

/** What restore() did. */
export interface RestoreResult {
  readonly snapshotId: string;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  skipped: number;
  bytesWritten: number;
  readonly problems: RestoreProblem[];
  /** Entries that cannot be restored (fifos, sockets, devices). */
  readonly notRestored: string[];
}

/**
 * Restores a snapshot (or the parts `include` selects) into a target. Every blob is
 * verified; a file whose data is damaged is not written (the rest is) and is named
 * in `problems`.
 */
export async function restore(repo: Repository, snapshotRef: string, options: RestoreOptions): Promise<RestoreResult> {
  const { id, snapshot } = await findSnapshot(repo, snapshotRef);
  const run = new RestoreRun(repo, options, id);
  await run.restoreTree(snapshot.tree, [], false);
  const unmatched = run.selection.unmatched();
  if (unmatched.length > 0 && run.result.files + run.result.dirs + run.result.symlinks + run.result.skipped === 0) {
    throw new CairnError('ERR_NOT_FOUND', `nothing in snapshot ${id.slice(0, 12)} matches ${unmatched.map((p) => JSON.stringify(p)).join(', ')}`, {
      hint: `list the snapshot with \`cairn ls ${id.slice(0, 12)}\``,
    });
  }
  for (const pattern of unmatched) run.problem(pattern, 'nothing in the snapshot matches this path');
  return run.result;
}

class RestoreRun {
  readonly result: RestoreResult;
  readonly selection: Selection;
  private readonly created = new Set<string>();
  private readonly refused = new Set<string>();
  private readonly hardlinks = new Map<string, string[]>();
  private readonly policy: OverwritePolicy;

  constructor(
    private readonly repo: Repository,
    private readonly options: RestoreOptions,
    snapshotId: string,
  ) {
    this.selection = createSelection(options.include ?? []);
    this.policy = options.overwrite ?? 'always';
    this.result = { snapshotId, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, bytesWritten: 0, problems: [], notRestored: [] };
  }

  async restoreTree(tree: Id, parts: readonly string[], selected: boolean): Promise<void> {
    let nodes: TreeNode[];
    try {
      nodes = await this.repo.loadTree(tree, `tree ${toHex(tree)} (${snapshotPath(parts) || '/'})`);
    } catch (error) {
      if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
      this.problem(snapshotPath(parts) || '/', error.message);
      return;
    }
    for (const node of nodes) {
      if (this.options.signal?.aborted) throw new CairnError('ERR_ABORTED', 'restore interrupted');
      const childParts = [...parts, node.name];
      const childSelected = selected || this.selection.matches(snapshotPath(childParts));
      if (node.type === 'dir') {
        if (childSelected && !(await this.ensureDir(childParts, false))) continue;
        if (node.subtree !== undefined) await this.restoreTree(node.subtree, childParts, childSelected);
        if (this.created.has(snapshotPath(childParts))) await this.setMetadata(childParts, node);
      } else if (childSelected) {
        await this.restoreLeaf(node, childParts, parts);
      }
    }
  }

  private async restoreLeaf(node: TreeNode, parts: string[], parent: readonly string[]): Promise<void> {
    const path = snapshotPath(parts);
    if (node.type !== 'file' && node.type !== 'symlink') {
      this.result.notRestored.push(path);
      return;
    }
    if (!(await this.ensureDir(parent, true))) return;
    const existing = await this.options.target.lstat(parts);
    if (existing !== null) {
      const keep = this.policy === 'never'
        || (this.policy === 'if-changed' && node.type === 'file' && existing.type === 'file' && existing.size === node.size
          && existing.mtimeNs / 1000n === node.mtimeNs / 1000n);
      if (keep) {
        this.result.skipped += 1;
        this.act('skip', path, node);
        return;
      }
      if (existing.type === 'dir' && this.options.dryRun !== true) await this.options.target.remove(parts);
    }
    const action = existing === null ? 'create' : 'overwrite';
    if (node.type === 'symlink') {
      this.act(action, path, node);
      if (this.options.dryRun === true) return;
      await this.options.target.symlink(parts, node.linkTarget ?? '');
      await this.setMetadata(parts, node);
      this.result.symlinks += 1;
      return;
    }
    await this.restoreFile(node, parts, path, action);
  }

  private async restoreFile(node: TreeNode, parts: string[], path: string, action: 'create' | 'overwrite'): Promise<void> {
    const linkKey = node.nlink > 1 ? `${node.dev}:${node.ino}` : undefined;
    const first = linkKey === undefined ? undefined : this.hardlinks.get(linkKey);
    if (first !== undefined) {
      this.act('link', path, node);
      if (this.options.dryRun !== true) await this.options.target.link(first, parts);
      this.result.hardlinks += 1;
      return;
    }
    const content = node.content ?? [];
    const missing = content.find((id) => !this.repo.index.has(id));
    if (missing !== undefined) {
      this.problem(path, `data blob ${toHex(missing)} is not in the index (the pack holding it is missing or unindexed)`);
      return;
    }
    this.act(action, path, node);
    if (this.options.dryRun === true) {
      if (linkKey !== undefined) this.hardlinks.set(linkKey, parts);
      return;
    }
    // A blob that cannot be read is the repository's damage: name it and go on. Any other
    // failure (the target's: a full disk, a permission) ends the restore.
    const damage: { error?: CairnError } = {};
    try {
      await this.options.target.writeFile(parts, this.fileData(content, damage));
    } catch (error) {
      if (damage.error === undefined) throw error;
      this.problem(path, damage.error.message);
      return;
    }
    await this.setMetadata(parts, node);
    if (linkKey !== undefined) this.hardlinks.set(linkKey, parts);
    this.result.files += 1;
    this.result.bytesWritten += node.size;
  }

  private async *fileData(content: readonly Id[], damage: { error?: CairnError }): AsyncGenerator<Uint8Array> {
    for (const id of content) {
      try {
        yield await this.repo.loadBlob(id, 'data');
      } catch (error) {
        if (isCairnError(error) && error.code !== 'ERR_TRANSIENT') damage.error = error;
        throw error;
      }
    }
  }

  /** Makes sure the folder at `parts` exists in the target (creating its parents); false when it cannot. */
  private async ensureDir(parts: readonly string[], asParent: boolean): Promise<boolean> {
    const path = snapshotPath(parts);
    if (parts.length === 0 || this.created.has(path)) return true;
    if (this.refused.has(path) || !(await this.ensureDir(parts.slice(0, -1), true))) return false;
    if (this.options.dryRun !== true) {
      try {
        await this.options.target.mkdir(parts);
      } catch (error) {
        if (!isCairnError(error, 'ERR_EXISTS')) throw error;
        if (this.policy !== 'always') {
          this.problem(path, `${error.message}; not replaced (overwrite policy "${this.policy}")`);
          this.refused.add(path);
          return false;
        }
        await this.options.target.remove(parts);
        await this.options.target.mkdir(parts);
      }
    }
    this.created.add(path);
    if (!asParent) {
      this.result.dirs += 1;
      this.options.onAction?.({ action: 'create', path, type: 'dir', size: 0 });
    }
    return true;
  }

  private async setMetadata(parts: readonly string[], node: TreeNode): Promise<void> {
    if (this.options.dryRun === true) return;
    await this.options.target.setMetadata(parts, node.type, { mode: node.mode, mtimeNs: node.mtimeNs, uid: node.uid, gid: node.gid });
  }

  private act(action: RestoreAction['action'], path: string, node: TreeNode): void {
    this.options.onAction?.({ action, path, type: node.type, size: node.size });
  }

  problem(path: string, message: string): void {
    const problem = { path, message: naming(path, message) };
    this.result.problems.push(problem);
    this.options.onProblem?.(problem);
  }
}

