import { CairnError, isCairnError } from '@cairn/core';
import type { EntryMetadata, NodeType, Target, Xattr } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { naming, snapshotPath } from '../repo/names.js';
import type { BlobLoader, IndexLookup, Repository } from '../repo/repository.js';
import type { PackReading } from './pack-reader.js';

/** What a restore reads through: blobs and trees by id, the index, and packs step by step (and the tree packs it drops once planned). */
export type RestoreSource = BlobLoader & IndexLookup & PackReading & Pick<Repository, 'forgetTreePacks'>;
import type { RestoreOptions, RestoreResult } from './restore-types.js';

/** Another name of a hardlinked file, linked once the file itself is written. */
export interface PlannedLink {
  readonly parts: readonly string[];
  readonly path: string;
}

/** A file the walk decided to write, as a writer takes it (PlannedFiles.file), with the other names it gets as hardlinks. */
export interface PlannedFile {
  readonly parts: readonly string[];
  readonly path: string;
  readonly size: number;
  readonly metadata: EntryMetadata;
  /** Its extended attributes (set before its metadata); undefined when it has none. */
  readonly xattrs: readonly Xattr[] | undefined;
  readonly links: readonly PlannedLink[];
  /** Nothing was at its path when the walk looked (it may be written in place). */
  readonly fresh: boolean;
}

/** What the parts of one restore share: the repository, its options and the result being counted. */
export class RestoreContext {
  readonly target: Target;
  readonly dryRun: boolean;
  /** True once the restore changed something in the target other than making new folders (an entry written, replaced or removed). */
  changed = false;
  /** Folders this restore made where nothing was, in the order made. */
  readonly madeFolders: (readonly string[])[] = [];
  /** The target is full: nothing more is written (the rest is named as not restored at the end). */
  full: CairnError | undefined;
  /** Entries the target refused (other than a full target), for the "nothing changed" verdict. */
  targetErrors = 0;
  /** Progress of the writing (counted only when someone listens: see wrote). */
  private readonly progress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, path: '', reportedAt: 0 };

  constructor(
    readonly repo: RestoreSource,
    readonly options: RestoreOptions,
    readonly result: RestoreResult,
  ) {
    this.target = options.target;
    this.dryRun = options.dryRun === true;
  }

  /** The plan is made: `files` are to be written, `bytes` in all. Reported at once. */
  planned(files: number, bytes: number): void {
    if (this.options.onProgress === undefined || this.dryRun) return;
    this.progress.filesTotal += files;
    this.progress.bytesTotal += bytes;
    this.reportProgress();
  }

  /**
   * `bytes` of file `path` were written; `fileDone` when that completed it. Reports at most every
   * progressIntervalMs (a clock read and a few additions per write otherwise), and when all is done.
   */
  wrote(path: string, bytes: number, fileDone = false): void {
    if (this.options.onProgress === undefined) return;
    const p = this.progress;
    p.bytesDone += bytes;
    p.path = path;
    if (fileDone) p.filesDone += 1;
    const now = Date.now();
    if (now - p.reportedAt >= (this.options.progressIntervalMs ?? 100) || p.filesDone === p.filesTotal) this.reportProgress(now);
  }

  private reportProgress(now = Date.now()): void {
    const p = this.progress;
    p.reportedAt = now;
    this.options.onProgress?.({ filesDone: p.filesDone, filesTotal: p.filesTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, path: p.path });
  }

  /** Throws ERR_ABORTED once the restore's signal has fired. */
  checkAbort(): void {
    if (this.options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'restore interrupted');
  }

  /** Records (and reports) an entry that could not be restored. */
  problem(path: string, message: string): void {
    const problem = { path, message: naming(path, message) };
    this.result.problems.push(problem);
    this.options.onProblem?.(problem);
  }

  /**
   * Records a target's failure to write one entry as a problem of that entry and returns, so the
   * restore goes on with the others; a full target also stops further writes. Rethrows what is
   * not the target refusing one entry: an abort, a transient error, a bug, or the target's own
   * failure as a whole (Target.failure: a board's link that closed).
   */
  entryFailed(path: string, error: unknown): void {
    if (!isCairnError(error) || error.code === 'ERR_ABORTED' || error.code === 'ERR_TRANSIENT') throw error;
    if (this.target.failure?.() !== undefined) throw error; // the target as a whole is gone
    if (error.code === 'ERR_NO_SPACE') this.full ??= error;
    else this.targetErrors += 1;
    this.problem(path, error.message);
  }

  /** Names the files a full target kept from being written: `first` and the `count` - 1 after it. */
  unwrittenAfterFull(first: string, count: number): void {
    this.problem(first, `${count} file(s) were not restored, this one and those after it, because the target is full (${this.full?.message ?? 'no space left'})`);
  }

  /** Throws ERR_ABORTED once the restore's signal has fired; true when the target is full (write nothing more). */
  stopped(): boolean {
    this.checkAbort();
    return this.full !== undefined;
  }

  /** The metadata a restore gives `node`'s entry. */
  metadataOf(node: TreeNode): EntryMetadata {
    return { mode: node.mode, mtimeNs: node.mtimeNs, uid: node.uid, gid: node.gid };
  }

  /**
   * The metadata a file gets when it is committed; undefined when it has extended attributes:
   * those go first (a read-only mode could forbid them), so its metadata is set after, by path.
   */
  commitMetadataOf(file: PlannedFile): EntryMetadata | undefined {
    return file.xattrs === undefined ? file.metadata : undefined;
  }

  /** Sets extended attributes, then mode, owner and mtime of a restored entry (nothing in a dry run). */
  async setMetadata(parts: readonly string[], node: TreeNode): Promise<void> {
    await this.setEntryMetadata(parts, node.type, this.metadataOf(node), node.xattrs);
  }

  /** setMetadata of an entry of `type` whose node is no longer at hand: its metadata and extended attributes. */
  async setEntryMetadata(parts: readonly string[], type: NodeType, metadata: EntryMetadata, xattrs: readonly Xattr[] | undefined): Promise<void> {
    if (this.dryRun) return;
    if (xattrs !== undefined) await this.setXattrs(parts, xattrs);
    await this.target.setMetadata(parts, type, metadata);
  }

  /** Sets an entry's extended attributes; those the target cannot set are named as a problem (the restore goes on). */
  private async setXattrs(parts: readonly string[], xattrs: readonly Xattr[]): Promise<void> {
    const path = snapshotPath(parts);
    const set = this.target.setXattrs;
    if (set === undefined) {
      this.problem(path, `extended attributes not restored (${xattrs.map((x) => x.name).join(', ')}): ${this.target.location} cannot hold them`);
      return;
    }
    await set.call(this.target, parts, xattrs).catch((error: unknown) => this.entryFailed(path, error));
  }

  /**
   * After a file is in place under its name: sets its metadata (unless `metadataSet`: it was
   * given at commit), counts it and makes its hardlinks.
   */
  async fileWritten(file: PlannedFile, metadataSet = false): Promise<void> {
    this.changed = true;
    this.result.files += 1;
    this.result.bytesWritten += file.size;
    this.wrote(file.path, 0, true);
    if (!metadataSet) await this.setEntryMetadata(file.parts, 'file', file.metadata, file.xattrs).catch((error: unknown) => this.entryFailed(file.path, error));
    for (const link of file.links) {
      try {
        await this.target.link(file.parts, link.parts);
        this.result.hardlinks += 1;
      } catch (error) {
        this.entryFailed(link.path, error);
      }
    }
  }

  /** Names a file whose data is damaged, and each of its hardlinks, as not restored. */
  fileFailed(file: PlannedFile, error: CairnError): void {
    this.problem(file.path, error.message);
    for (const link of file.links) this.problem(link.path, error.message);
  }

  /** A file the target refused: named as not restored with its hardlinks (rethrows what is not the target's refusal). */
  fileRefused(file: PlannedFile, error: unknown): void {
    this.entryFailed(file.path, error);
    const reason = error instanceof Error ? error.message : String(error);
    for (const link of file.links) this.problem(link.path, `${link.path} is a hardlink of ${file.path}, which was not restored (${reason})`);
  }
}
