import { isCairnError, toHex } from '@cairn/core';
import { nodeProblem } from '../tree/reachability.js';
import type { EntryMetadata, Id, Xattr } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { snapshotPath } from '../repo/names.js';
import type { RestoreContext } from './restore-context.js';
import { ownString, PlannedFiles } from './planned-files.js';
import { holdsContent } from './restore-unchanged.js';
import type { OverwritePolicy, RestoreAction } from './restore-types.js';
import { createSelection } from '../tree/path-selection.js';
import type { Selection } from '../tree/path-selection.js';

/** A `changes`-mode working copy of the snapshot, as the walk counts the files recorded by reference in it. */
export interface CopyRestore {
  /** Why its files recorded by reference cannot be restored, when they cannot. */
  readonly failure: string | null;
  /** Files recorded by reference the walk met in it. */
  referenced: number;
}

/** The working copies a restore rebuilds (or could not), as the walk asks for them. */
export interface WorkingCopies {
  /** The innermost `changes`-mode working copy holding `path` (snapshot path without leading '/'). */
  copyOf(path: string): CopyRestore | undefined;
}

/** A folder whose metadata is set once everything below it is written. */
export interface PlannedFolder {
  readonly parts: readonly string[];
  readonly metadata: EntryMetadata;
  readonly xattrs: readonly Xattr[] | undefined;
}

/** What the walk leaves to write: files (in snapshot order) and folders (deepest first, as the walk left them). */
export interface RestorePlan {
  readonly files: PlannedFiles;
  readonly folders: PlannedFolder[];
  readonly selection: Selection;
}

/**
 * Walks the selected trees of a snapshot: makes folders and symlinks, applies the overwrite
 * policy, reports actions and problems, and returns the files still to write (their data,
 * metadata and hardlinks) and the folders whose metadata comes last.
 */
export async function planRestore(ctx: RestoreContext, tree: Id, copies?: WorkingCopies): Promise<RestorePlan> {
  const walk = new RestoreWalk(ctx, copies);
  // The whole snapshot is restored: its root is the target's, which exists afterwards even when empty.
  if (!ctx.dryRun && (ctx.options.include ?? []).length === 0) await ctx.target.mkdir([]);
  await walk.restoreTree(tree, [], false);
  return { files: walk.files, folders: walk.folders, selection: walk.selection };
}

class RestoreWalk {
  readonly selection: Selection;
  readonly files: PlannedFiles;
  readonly folders: PlannedFolder[] = [];
  private readonly created = new Set<string>();
  /** Folders this restore made where nothing was: their entries need no lstat. */
  private readonly fresh = new Set<string>();
  private readonly refused = new Set<string>();
  /** The file number of the first planned name of each hardlinked inode ("dev:ino"); -1 in a dry run. */
  private readonly hardlinks = new Map<string, number>();
  private readonly policy: OverwritePolicy;

  constructor(
    private readonly ctx: RestoreContext,
    private readonly copies: WorkingCopies | undefined,
  ) {
    this.selection = createSelection(ctx.options.include ?? []);
    this.policy = ctx.options.overwrite ?? 'always';
    this.files = new PlannedFiles(ctx.repo.index);
  }

  /** Restores the tree `tree` at `parts` (whose snapshot path is `path`, computed once per folder). */
  async restoreTree(tree: Id, parts: readonly string[], selected: boolean, path = snapshotPath(parts)): Promise<void> {
    let nodes: TreeNode[];
    try {
      nodes = await this.ctx.repo.loadTree(tree, `tree ${toHex(tree)} (${path || '/'})`);
    } catch (error) {
      if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
      this.ctx.problem(path || '/', error.message);
      return;
    }
    for (const node of nodes) {
      this.ctx.checkAbort();
      // A folder's name is kept (in its parts and path, for its files and its metadata at the end): as a copy of its own.
      const name = node.type === 'dir' ? ownString(node.name) : node.name;
      const childParts = [...parts, name];
      const childPath = path === '' ? name : `${path}/${name}`;
      const childSelected = selected || this.selection.matches(childPath);
      if (node.type === 'dir') {
        if (childSelected && !(await this.ensureDir(childParts, false, childPath))) continue;
        if (node.subtree !== undefined) await this.restoreTree(node.subtree, childParts, childSelected, childPath);
        if (this.created.has(childPath) && !this.ctx.dryRun) this.folders.push({ parts: childParts, metadata: this.ctx.metadataOf(node), xattrs: node.xattrs });
      } else if (childSelected) {
        await this.restoreLeaf(node, childParts, parts, childPath, path);
      }
    }
  }

  private async restoreLeaf(node: TreeNode, parts: string[], parent: readonly string[], path: string, parentPath: string): Promise<void> {
    if (node.type !== 'file' && node.type !== 'symlink') {
      this.ctx.result.notRestored.push(path);
      return;
    }
    if (node.ref !== undefined) {
      this.referenced(node, path);
      return;
    }
    const unsound = nodeProblem(node, this.ctx.repo.index);
    if (unsound !== undefined) {
      this.ctx.problem(path, `${path} ${unsound}; not restored (\`cairn check\` reports it too)`);
      return;
    }
    // The folder is there already for all but the first entry of each (no promise per file then).
    if (!this.created.has(parentPath) && !(await this.ensureDir(parent, true, parentPath))) return;
    const { target } = this.ctx;
    const existing = this.fresh.has(parentPath) ? null : await target.lstat(parts);
    if (existing !== null) {
      const keep = this.policy === 'never'
        || (this.policy === 'if-changed' && node.type === 'file' && existing.type === 'file' && existing.size === node.size
          && existing.mtimeNs / 1000n === node.mtimeNs / 1000n);
      if (keep) {
        this.ctx.result.skipped += 1;
        this.act('skip', path, node);
        return;
      }
      if (await holdsContent(this.ctx, node, parts, existing)) {
        // Already there (a target that digests its own files said so): only the metadata may differ.
        this.ctx.result.skipped += 1;
        this.act('skip', path, node);
        await this.ctx.setMetadata(parts, node).catch((error: unknown) => this.ctx.entryFailed(path, error));
        return;
      }
      // A folder where the snapshot has a file goes only when it is empty: a user's files are never deleted.
      if (existing.type === 'dir' && !this.ctx.dryRun && !(await this.removeEmptyFolder(parts, path, node))) return;
    }
    const action = existing === null ? 'create' : 'overwrite';
    if (node.type === 'symlink') {
      this.act(action, path, node);
      if (this.ctx.dryRun) {
        this.ctx.result.symlinks += 1; // counted as a restore would count it
        return;
      }
      try {
        // Its metadata with it, in one call of a local target; attributes first, when it has any.
        if (node.xattrs === undefined) {
          await target.symlink(parts, node.linkTarget ?? '', this.ctx.metadataOf(node));
          this.ctx.changed = true;
        } else {
          await target.symlink(parts, node.linkTarget ?? '');
          this.ctx.changed = true;
          await this.ctx.setMetadata(parts, node);
        }
      } catch (error) {
        this.ctx.entryFailed(path, error);
        return;
      }
      this.ctx.result.symlinks += 1;
      return;
    }
    this.planFile(node, parts, path, parent, parentPath, action);
  }

  private planFile(node: TreeNode, parts: string[], path: string, parent: readonly string[], parentPath: string, action: 'create' | 'overwrite'): void {
    const linkKey = node.nlink > 1 ? `${node.dev}:${node.ino}` : undefined;
    const first = linkKey === undefined ? undefined : this.hardlinks.get(linkKey);
    if (first !== undefined) {
      this.act('link', path, node);
      // In a dry run nothing is linked later: count it now. Otherwise it is counted when made.
      if (this.ctx.dryRun) this.ctx.result.hardlinks += 1;
      else this.files.addLink(first, { parts, path });
      return;
    }
    this.act(action, path, node);
    if (!this.ctx.dryRun) {
      // Kept as columns, without the node: see PlannedFiles.
      const file = this.files.add(node, parent, parentPath, action === 'create');
      if (linkKey !== undefined) this.hardlinks.set(linkKey, file);
      return;
    }
    if (linkKey !== undefined) this.hardlinks.set(linkKey, -1);
    // Nothing is written in a dry run: count the file here as fileWritten counts it when written.
    this.ctx.result.files += 1;
    this.ctx.result.bytesWritten += node.size;
  }

  /** A file recorded by reference: the rebuilt working copy's checkout wrote it (or, not rebuilt, it is counted there). */
  private referenced(node: TreeNode, path: string): void {
    const copy = this.copies?.copyOf(path);
    if (copy === undefined) {
      this.ctx.problem(path, `recorded by reference (${node.ref?.id} in ${node.ref?.commit}), but the snapshot records no working copy holding it, so there is nothing to rebuild it from; run \`cairn check\``);
      return;
    }
    copy.referenced += 1;
    if (copy.failure !== null) return; // one problem for the working copy, at its end
    this.ctx.result.checkedOut += 1;
    this.act('checkout', path, node);
  }

  /** Makes sure the folder at `parts` exists in the target (creating its parents); false when it cannot. */
  private async ensureDir(parts: readonly string[], asParent: boolean, path = snapshotPath(parts)): Promise<boolean> {
    if (parts.length === 0 || this.created.has(path)) return true;
    if (this.refused.has(path) || !(await this.ensureDir(parts.slice(0, -1), true))) return false;
    if (!this.ctx.dryRun) {
      const { target } = this.ctx;
      let fresh = false;
      try {
        // Below a folder this restore made, nothing can be there yet.
        fresh = this.fresh.has(snapshotPath(parts.slice(0, -1))) || (await target.lstat(parts)) === null;
        try {
          await target.mkdir(parts);
        } catch (error) {
          if (!isCairnError(error, 'ERR_EXISTS')) throw error;
          if (this.policy !== 'always') {
            this.ctx.problem(path, `${error.message}; not replaced (overwrite policy "${this.policy}")`);
            this.refused.add(path);
            return false;
          }
          // Not a folder (mkdir takes an existing real folder): a file or symlink, replaced like any file.
          await target.remove(parts);
          await target.mkdir(parts);
          fresh = true;
        }
      } catch (error) {
        this.ctx.entryFailed(path, error);
        this.refused.add(path);
        return false;
      }
      if (fresh) {
        this.fresh.add(path);
        this.ctx.madeFolders.push(parts);
      }
    }
    this.created.add(path);
    if (!asParent) {
      this.ctx.result.dirs += 1;
      this.ctx.options.onAction?.({ action: 'create', path, type: 'dir', size: 0 });
    }
    return true;
  }

  /** Removes the folder at `parts` where the snapshot has `node` (not a folder); false (a problem) when it is not empty or cannot go. */
  private async removeEmptyFolder(parts: readonly string[], path: string, node: TreeNode): Promise<boolean> {
    try {
      await this.ctx.target.remove(parts);
      this.ctx.changed = true;
      return true;
    } catch (error) {
      if (isCairnError(error, 'ERR_EXISTS')) {
        this.ctx.problem(path, `${path} is a folder that is not empty in ${this.ctx.target.location}, where the snapshot has a ${node.type}: not replaced (move the folder away, or restore elsewhere)`);
        this.ctx.targetErrors += 1;
      } else {
        this.ctx.entryFailed(path, error);
      }
      return false;
    }
  }

  private act(action: RestoreAction['action'], path: string, node: TreeNode): void {
    this.ctx.options.onAction?.({ action, path, type: node.type, size: node.size });
  }
}
