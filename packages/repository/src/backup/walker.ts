import { CairnError, idEquals, isCairnError, wellFormedText } from '@cairn/core';
import type { DirEntry, EntryDecision, EntryStat, FileRef, Id, SourceDir, SourceFile, WholeRead, Xattr } from '@cairn/core';
import { createChunker } from '@cairn/chunker';
import type { StreamingChunker } from '@cairn/chunker';
import { encodeTree } from '@cairn/index';
import type { SkippedEntry, SnapshotSummary, TreeNode } from '@cairn/index';
import type { BackupEntryStatus, BackupOptions, BackupTotal, BackupWarning, BackupWarningKind } from './backup-types.js';
import { createExclusions, EXCLUDED_CLASS, excludesAnything, markerIn, markerReason } from './exclusions.js';
import type { Exclusions } from './exclusions.js';
import type { BlobWriter } from '../write/blob-writer.js';
import { createResemblanceIndex, RESEMBLANCE, sketch } from './resemblance.js';
import type { ResemblanceIndex } from './resemblance.js';
import { deltaBaseChooser } from './delta-base.js';
import { naming } from '../repo/names.js';
import type { Repository, TreeLoader } from '../repo/repository.js';

const DEFAULT_READ_BUFFER = 4 * 1024 * 1024;
/**
 * A file that is chunked is read in pieces this long, into the chunker's window: with its cuts
 * every two average chunks, the window's pages in use are an unfinished chunk and one piece
 * (benchmarks/BENCHMARKS.md, issue 15).
 */
const CHUNKED_PIECE = 1024 * 1024;

/** The parent snapshot's nodes of a tree by name; empty when it cannot be read. */
export async function loadNodeMap(repo: TreeLoader, tree: Id): Promise<Map<string, TreeNode>> {
  try {
    // Named without its id: a parent tree that cannot be read is only left out of the comparison
    // (below), so the name is never shown, and its hex cost a no-op 5 ms per 6,000 folders.
    const nodes = await repo.loadTree(tree, 'a tree of the parent snapshot');
    return new Map(nodes.map((node) => [node.name, node]));
  } catch (error) {
    // A damaged parent only costs the comparison; the backup itself reads everything.
    if (isCairnError(error) && error.code !== 'ERR_TRANSIENT') return new Map();
    throw error;
  }
}

/** What the walk needs of the parent snapshot's node at the same path. */
export type Previous = Pick<TreeNode, 'type' | 'content' | 'subtree'> & Partial<Pick<TreeNode, 'size' | 'mtimeNs' | 'ctimeNs' | 'ino' | 'xattrs' | 'linkTarget'>>;

/** The event loop gets a turn at least this often (ms): the local source's calls are synchronous. */
const YIELD_EVERY_MS = 10;

/** How many entries the walk takes between two looks at the clock (an entry not read takes microseconds). */
const CLOCK_EVERY = 16;

type Counts = { -readonly [K in 'filesNew' | 'filesChanged' | 'filesUnchanged' | 'filesReferenced' | 'dirs' | 'symlinks' | 'others' | 'bytesRead']: SnapshotSummary[K] };

/** Walks a source depth-first, storing file content and writing trees bottom-up. */
export class Walker {
  readonly warnings: BackupWarning[] = [];
  readonly counts: Counts = { filesNew: 0, filesChanged: 0, filesUnchanged: 0, filesReferenced: 0, dirs: 0, symlinks: 0, others: 0, bytesRead: 0 };
  /** What the selector left out (source paths; folders end with '/'). */
  readonly skipped: SkippedEntry[] = [];
  /** Files kept per class, when the selector classes them. */
  readonly classes = new Map<string, { files: number; bytes: number }>();
  private readonly hardlinks = new Map<string, { content: Id[]; size: number }>();
  private readonly bufferSize: number;
  /** One chunker for the whole walk: finish() resets it, and its window is kept. */
  private readonly chunker: StreamingChunker;
  private readonly skip: ReadonlySet<string>;
  /** Folders left out wherever they are reached ("dev:ino"): the repository through a symlink or a bind mount. */
  private readonly skipFolders: ReadonlySet<string>;
  private lastYield = performance.now();
  /** Entries since the clock was last read (it is read every CLOCK_EVERY). */
  private sinceClock = 0;
  /** The listing's stat of the file just read whole, when its readWhole found no extended attributes (withXattrs then asks none). */
  private xattrsNone: EntryStat | null = null;
  /** Reused for every small file read whole or with readInto (see smallBuffer). */
  private readBuffer: Uint8Array | null = null;
  private readonly chunkerMin: number;
  /** Bytes of the files done, read or found unchanged (progress only). */
  private bytesDone = 0;
  /** The parent's files and bytes, once the backup measured them (progress only). */
  total: BackupTotal | undefined;
  /** The exclude options, compiled; null while a walk outside the backup's paths (a working copy's extras) runs. */
  private exclusions: Exclusions | null;
  /** This backup's whole chunks by resemblance: the delta base of a new chunk no parent file offers one (null without deltas). */
  private readonly resemblance: ResemblanceIndex | null;
  /**
   * The parent's content of a file renamed within its folder (same inode, its old name gone), by
   * the new path, while that file is saved: its delta bases only (the file is new in every other
   * respect: read, counted and reported as new).
   */
  private readonly renamedFrom = new Map<string, readonly Id[]>();

  constructor(
    private readonly repo: Pick<Repository, 'config' | 'loadTree' | 'index'>,
    private readonly options: BackupOptions,
    readonly writer: BlobWriter,
    /** The `skip` folders as lstat saw them: left out by identity, not only by path. */
    skipFolders: readonly EntryStat[] = [],
    /** The parent snapshot read extended attributes (see recordedXattrs): its unchanged entries' attributes are reused. */
    private readonly parentRecordedXattrs = false,
  ) {
    this.bufferSize = options.readBufferSize ?? DEFAULT_READ_BUFFER;
    // Views, not copies: saveData hashes a chunk and copies it into a batch before the next push.
    this.chunker = createChunker(repo.config.chunker, { views: true });
    this.chunkerMin = repo.config.chunker.min;
    this.skip = new Set(options.skip ?? []);
    this.skipFolders = new Set(skipFolders.filter((stat) => stat.type === 'dir').map(identity));
    this.exclusions = excludesAnything(options.exclude) ? createExclusions(options.exclude ?? {}) : null;
    this.resemblance = writer.deltas ? createResemblanceIndex() : null;
  }

  /** saveEntry without the exclude options: for what the backup adds beside its paths (a working copy's extras). */
  async saveUnfiltered(parent: SourceDir, path: string, name: string, stat: EntryStat): Promise<TreeNode | null> {
    const exclusions = this.exclusions;
    this.exclusions = null;
    try {
      return await this.saveEntry(parent, path, name, stat, undefined);
    } finally {
      this.exclusions = exclusions;
    }
  }

  /**
   * Stores the entry `name` of the open folder `parent` (a root through rootEntry); `path` is its
   * full path, for the selector and messages. Every entry is reached through its parent's SourceDir.
   */
  async saveEntry(parent: SourceDir, path: string, name: string, stat: EntryStat, previous: Previous | undefined, emptyDir = false): Promise<TreeNode | null> {
    const saved = await this.saveNode(parent, path, name, stat, previous, emptyDir);
    const node = saved === null ? null : await this.withXattrs(parent, path, name, stat, saved, previous);
    if (node !== null) this.options.onEntry?.({ path, type: node.type, status: entryStatus(node, previous), size: node.size });
    return node;
  }

  /**
   * `node` with the entry's extended attributes when the source reads them and it has some. An
   * entry whose inode, ctime, mtime and size are the parent's keeps the parent's attributes
   * without asking (setting an attribute changes the ctime), when the parent read them. When
   * they cannot be read the entry is kept without them and a warning says so (ERR_UNSUPPORTED,
   * such as no xattr module or a name the OS call cannot take, does not make the backup partial).
   */
  private async withXattrs(parent: SourceDir, path: string, name: string, stat: EntryStat, node: TreeNode, previous: Previous | undefined): Promise<TreeNode> {
    // Its readWhole found it has none: nothing to ask (the mark is for this entry only).
    const none = this.xattrsNone === stat;
    this.xattrsNone = null;
    const read = parent.xattrs;
    if (read === undefined || none) return node;
    if (this.keepsParentXattrs(stat, previous)) return previous?.xattrs === undefined ? node : { ...node, xattrs: previous.xattrs };
    try {
      const xattrs = await read.call(parent, name);
      return xattrs.length === 0 ? node : { ...node, xattrs };
    } catch (error) {
      this.warnError(isCairnError(error, 'ERR_UNSUPPORTED') ? 'special' : 'unreadable', path, error);
      return node;
    }
  }

  /**
   * Whether the entry keeps the parent's extended attributes without asking: the parent read
   * them, and its inode, ctime, mtime and (a file's) size are the parent's (setting an attribute
   * changes the ctime). A symlink's or folder's size is not compared: its node records 0.
   */
  private keepsParentXattrs(stat: EntryStat, previous: Previous | undefined): boolean {
    return this.parentRecordedXattrs && previous !== undefined && previous.type === stat.type && previous.ino === stat.ino
      && previous.ctimeNs === stat.ctimeNs && previous.mtimeNs === stat.mtimeNs && (stat.type !== 'file' || previous.size === stat.size);
  }

  /**
   * Gives the event loop a turn when it had none for a while (a promise then, to await), and
   * stops when the backup is aborted. No promise otherwise: most entries need none.
   */
  private takeTurn(path: string): Promise<void> | undefined {
    // The clock is read every CLOCK_EVERY entries: once per entry it cost a no-op of /usr/share 5 ms.
    this.sinceClock += 1;
    const looks = this.sinceClock >= CLOCK_EVERY;
    if (looks) this.sinceClock = 0;
    if (looks && performance.now() - this.lastYield > YIELD_EVERY_MS) {
      // Lets pack writes complete, compressed batches come back, progress draw and signals arrive.
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.lastYield = performance.now();
        this.checkAborted(path);
      });
    }
    this.checkAborted(path);
    return undefined;
  }

  private checkAborted(path: string): void {
    if (this.options.signal?.aborted) throw new CairnError('ERR_ABORTED', `backup interrupted at ${path}`);
  }

  private async saveNode(parent: SourceDir, path: string, name: string, stat: EntryStat, previous: Previous | undefined, emptyDir: boolean): Promise<TreeNode | null> {
    await this.takeTurn(path);
    switch (stat.type) {
      case 'dir':
        // A mount point under --one-file-system: kept, its entries not read.
        return emptyDir ? this.saveOpenDir(null, path, name, stat, previous) : this.saveDir(parent, path, name, stat, previous);
      case 'file':
        return this.saveFile(parent, path, name, stat, previous);
      case 'symlink':
        return this.saveSymlink(parent, path, name, stat);
      default:
        this.counts.others += 1;
        this.warn('special', path, `${path}: ${stat.type} recorded without content`);
        return makeNode(name, stat, { rdev: stat.rdev });
    }
  }

  private async saveDir(parent: SourceDir, path: string, name: string, stat: EntryStat, previous: Previous | undefined): Promise<TreeNode | null> {
    let dir: SourceDir | null;
    try {
      dir = await parent.openDir(name, stat);
    } catch (error) {
      this.warnError('unreadable', path, error);
      // Gone, or replaced since its lstat (a symlink swapped in): left out, as a file that vanished is.
      // Any other failure (no permission) keeps the folder, empty, with its metadata.
      if (isCairnError(error, 'ERR_NOT_FOUND')) return null;
      dir = null;
    }
    try {
      return await this.saveOpenDir(dir, path, name, stat, previous);
    } finally {
      await dir?.close().catch(() => undefined);
    }
  }

  private async saveOpenDir(dir: SourceDir | null, path: string, name: string, stat: EntryStat, previous: Previous | undefined): Promise<TreeNode> {
    // With entries() the folder's lstats come with its names (one call for the folder, not one per entry).
    const listsEntries = dir?.entries !== undefined;
    const entries: readonly DirEntry[] | null = dir === null || !listsEntries ? null : await this.fromSource(path, () => dir.entries!());
    const names = listsEntries ? namesOf(entries) : (dir === null ? null : await this.fromSource(path, () => dir.names())) ?? [];
    const before = previous?.type === 'dir' && previous.subtree !== undefined ? await loadNodeMap(this.repo, previous.subtree) : new Map<string, TreeNode>();
    const selector = this.options.selector;
    const entered = selector?.enterDir(path, names);
    if (entered !== undefined) await entered;
    // The folder's entries decided by name alone when the selector can say so: asked again once,
    // after the first entry decide() took (deciding it may read what the folder's rules need).
    let byName = selector?.byName?.(path);
    let askAgain = byName === undefined && selector?.byName !== undefined;
    const exclusions = this.exclusions;
    const marker = dir === null || exclusions === null ? null
      : await markerIn(dir, names, exclusions.markers, (name, read) => this.fromSource(this.options.source.join(path, name), read));
    if (dir?.prefetch !== undefined && entries !== null) this.prefetchFiles(dir, entries, before);
    const nodes: TreeNode[] = [];
    // The parent's files whose names are gone from the folder, by inode (made at the first new file).
    let gone: Map<bigint, TreeNode> | undefined;
    for (let i = 0; i < names.length; i += 1) {
      const child = names[i]!;
      const childPath = this.options.source.join(path, child);
      if (dir === null || (this.skip.size > 0 && this.skip.has(childPath))) continue;
      const listed = entries?.[i];
      let childStat: EntryStat | null;
      if (listed === undefined) {
        childStat = await this.fromSource(childPath, () => dir.lstat(child));
      } else {
        if (listed.error !== undefined) this.warnError('unreadable', childPath, listed.error);
        childStat = listed.stat ?? null;
      }
      if (childStat === null) continue;
      if (childStat.type === 'dir' && this.skipFolders.has(identity(childStat))) continue;
      // The exclude options come before the selector: what they leave out, no policy brings back.
      const excluded = exclusions === null ? null
        : marker !== null && child !== marker.name ? markerReason(marker)
          : exclusions.reason(childPath, childStat);
      if (excluded !== null) {
        this.recordSkipped(childPath, childStat, EXCLUDED_CLASS, excluded);
        continue;
      }
      let decision: EntryDecision | undefined;
      if (byName !== undefined) {
        decision = byName(child, childStat.type);
      } else {
        const asked = selector?.decide(childPath, childStat.type);
        decision = asked instanceof Promise ? await asked : asked;
        if (askAgain) {
          askAgain = false;
          byName = selector?.byName?.(path);
        }
      }
      let node: TreeNode | null;
      if (decision?.action === 'skip') {
        this.recordSkipped(childPath, childStat, decision.class, decision.reason);
        continue;
      } else if (decision?.action === 'reference' && childStat.type === 'file') {
        node = this.saveReference(childPath, child, childStat, decision.ref);
        this.options.onEntry?.({ path: childPath, type: 'file', status: 'referenced', size: node.size });
      } else {
        const crossing = exclusions?.oneFileSystem === true && childStat.type === 'dir' && childStat.dev !== stat.dev;
        if (crossing) this.recordSkipped(childPath, childStat, EXCLUDED_CLASS, 'on another filesystem (one filesystem only): the folder is kept empty, its entries are not read');
        const previousNode = before.get(child);
        const turn = this.takeTurn(childPath);
        if (turn !== undefined) await turn;
        // A new name for a file the parent held under another name of this folder (a rename keeps the inode).
        const renamed = previousNode === undefined && childStat.type === 'file' && before.size > 0 && this.writer.deltas
          ? (gone ??= goneFiles(before, names)).get(childStat.ino) : undefined;
        if (renamed?.content !== undefined) this.renamedFrom.set(childPath, renamed.content);
        try {
          node = this.savedWithoutReading(childPath, child, childStat, previousNode, dir.xattrs !== undefined)
            ?? await this.saveEntry(dir, childPath, child, childStat, previousNode, crossing);
        } finally {
          if (renamed !== undefined) this.renamedFrom.delete(childPath);
        }
      }
      if (node !== null && node.type === 'file') this.countClass(decision, node.size);
      if (node !== null) nodes.push(node);
    }
    // A folder whose every entry is the parent's has the parent's tree: no encoding, no hashing.
    const unchanged = previous?.subtree !== undefined && nodes.length === before.size && this.writer.has(previous.subtree)
      && sameNodes(nodes, before.values());
    const subtree = unchanged && previous?.subtree !== undefined ? previous.subtree : await this.writer.save('tree', encodeTree(nodes));
    this.counts.dirs += 1;
    this.progress(path);
    return makeNode(name, stat, { subtree, size: 0 });
  }

  /**
   * Tells the source which regular files of the folder the walk will read (those not empty and
   * new or changed since the parent, by size and change stamp), so that it may read them ahead.
   */
  private prefetchFiles(dir: SourceDir, entries: readonly DirEntry[], before: ReadonlyMap<string, TreeNode>): void {
    const names: string[] = [];
    for (const { name, stat } of entries) {
      if (stat === undefined || stat.type !== 'file' || stat.size === 0) continue;
      const previous = before.get(name);
      if (previous?.type === 'file' && previous.size === stat.size && this.sameChangeStamp(stat, previous)) continue;
      names.push(name);
    }
    if (names.length > 0) dir.prefetch?.(names);
  }

  /**
   * saveEntry for a file or symlink that need not be read, synchronously: a file whose content
   * is the parent's (unchangedByMetadata) or a hardlink's already stored, a symlink whose inode,
   * ctime and mtime are the parent's (a symlink's target never changes in place), each keeping
   * the parent's extended attributes (keepsParentXattrs). Null, having done nothing, for any
   * other entry: saveEntry takes it. A node equal to the parent's is the parent's node itself.
   */
  private savedWithoutReading(path: string, name: string, stat: EntryStat, previous: TreeNode | undefined, readsXattrs: boolean): TreeNode | null {
    if (stat.type !== 'file' && stat.type !== 'symlink') return null;
    // The comparisons of keepsParentXattrs, sameChangeStamp and unchangedByMetadata, each made once (bigints).
    const stamped = previous !== undefined && previous.type === stat.type && previous.mtimeNs === stat.mtimeNs && previous.ctimeNs === stat.ctimeNs && previous.ino === stat.ino;
    if (readsXattrs && !(this.parentRecordedXattrs && stamped && (stat.type !== 'file' || previous.size === stat.size))) return null;
    const xattrs = readsXattrs ? previous?.xattrs : undefined;
    const showsChanges = this.options.source.metadataShowsChanges !== false;
    let node: TreeNode;
    if (stat.type === 'symlink') {
      const linkTarget = previous?.linkTarget;
      if (linkTarget === undefined || !stamped || !showsChanges) return null;
      this.counts.symlinks += 1;
      node = sameOtherMetadata(previous, stat, 0) && previous.xattrs === xattrs ? previous : withXattrList(makeNode(name, stat, { linkTarget, size: 0 }), xattrs);
    } else {
      const linkKey = stat.nlink > 1 ? identity(stat) : undefined;
      const linked = linkKey === undefined ? undefined : this.hardlinks.get(linkKey);
      let content: Id[];
      let size: number;
      if (linked !== undefined) {
        ({ content, size } = linked);
        this.bytesDone += size;
        this.countFile(content, previous);
      } else {
        const reused = stamped && showsChanges ? this.reusableContent(stat, previous) : null;
        if (reused === null) return null;
        content = reused;
        size = stat.size;
        this.counts.filesUnchanged += 1;
        this.bytesDone += size;
        if (linkKey !== undefined) this.hardlinks.set(linkKey, { content, size });
        this.progress(path);
      }
      node = stamped && previous.content === content && sameOtherMetadata(previous, stat, size) && previous.xattrs === xattrs
        ? previous : withXattrList(makeNode(name, stat, { content, size }), xattrs);
    }
    this.options.onEntry?.({ path, type: node.type, status: entryStatus(node, previous), size: node.size });
    return node;
  }

  /** Lists an entry left out (source path; a folder's ends with '/' and stands for everything below it). */
  private recordSkipped(path: string, stat: EntryStat, cls: string, reason: string): void {
    // A text record (the snapshot's `skipped` is str): bytes that are not UTF-8 show as U+FFFD.
    const shown = wellFormedText(stat.type === 'dir' ? `${path}/` : path);
    this.skipped.push({ path: shown, class: cls, reason: wellFormedText(reason) });
  }

  private async saveFile(parent: SourceDir, path: string, name: string, stat: EntryStat, previous: Previous | undefined): Promise<TreeNode | null> {
    const linkKey = stat.nlink > 1 ? identity(stat) : undefined;
    const linked = linkKey === undefined ? undefined : this.hardlinks.get(linkKey);
    if (linked !== undefined) {
      this.bytesDone += linked.size;
      this.countFile(linked.content, previous);
      return makeNode(name, stat, { content: linked.content, size: linked.size });
    }
    const reused = await this.unchangedContent(parent, path, name, stat, previous);
    if (reused !== null) {
      this.counts.filesUnchanged += 1;
      this.bytesDone += stat.size;
      if (linkKey !== undefined) this.hardlinks.set(linkKey, { content: reused, size: stat.size });
      this.progress(path);
      return makeNode(name, stat, { content: reused, size: stat.size });
    }
    const previousContent = previous?.type === 'file' ? previous.content : this.renamedFrom.get(path);
    const whole = this.readWhole(parent, name, stat);
    if (whole !== null) {
      // The whole file in one synchronous call: one chunk (it is no longer than the chunker's minimum), or none.
      const content = whole.length === 0 ? [] : [await this.chunkSaver(previousContent)(this.smallBuffer().subarray(0, whole.length))];
      if (whole.noXattrs) this.xattrsNone = stat;
      return this.fileRead(path, name, whole.stat, whole.after, content, whole.length, previous, linkKey);
    }
    // Errors of the source (the file) only warn; errors of the repository end the backup.
    const file = await this.fromSource(path, () => parent.openFile(name, stat));
    if (file === null) return null;
    try {
      const before = await this.fromSource(path, () => file.stat());
      if (before === null) return null;
      // A stream's size is known only at its end: read in full buffers, and its stat says nothing of a change.
      const stream = file.stream === true;
      const read = await this.readContent(path, file, stream ? Number.MAX_SAFE_INTEGER - 1 : before.size, previousContent);
      if (read === null) return null;
      const after = await this.fromSource(path, () => file.stat());
      if (after === null) return null;
      return this.fileRead(path, name, before, stream ? null : after, read.content, read.size, previous, linkKey);
    } finally {
      this.chunker.finish(); // drops what a file abandoned part-way left (empty otherwise)
      await file.close().catch(() => undefined);
    }
  }

  /**
   * The file `name` read whole by the source's readWhole, when the source offers it and the file
   * is one chunk at most (no longer than the chunker's minimum) and shorter than the walk's read
   * buffer, into that buffer; null otherwise, and when the source could not (saveFile then opens
   * the file, and learns why).
   */
  private readWhole(parent: SourceDir, name: string, stat: EntryStat): WholeRead | null {
    const read = parent.readWhole;
    if (read === undefined) return null;
    const buffer = this.smallBuffer();
    return stat.size < buffer.length ? read.call(parent, name, stat, buffer) : null;
  }

  /** The buffer every file no longer than the chunker's minimum is read into (one chunk, unless it grew). */
  private smallBuffer(): Uint8Array {
    return (this.readBuffer ??= new Uint8Array(Math.min(this.bufferSize, this.chunkerMin + 1)));
  }

  /**
   * The node of a file read: `before` its stat at open, `after` its size and mtime after the read
   * (null for a stream, whose stat says nothing of a change), `size` the bytes read. Counts it,
   * warns when it changed while read, and remembers a hardlink's content.
   */
  private fileRead(path: string, name: string, before: EntryStat, after: { readonly size: number; readonly mtimeNs: bigint } | null, content: Id[], size: number, previous: Previous | undefined, linkKey: string | undefined): TreeNode {
    this.counts.bytesRead += size;
    this.bytesDone += size;
    if (after !== null && (after.size !== before.size || after.mtimeNs !== before.mtimeNs || size !== before.size)) {
      this.warn('changed', path, `${path} changed while it was read (size ${before.size} -> ${after.size}, ${size} bytes read); the stored copy may be inconsistent`);
    }
    if (linkKey !== undefined) this.hardlinks.set(linkKey, { content, size });
    this.countFile(content, previous);
    this.progress(path);
    return makeNode(name, before, { content, size });
  }

  /**
   * Reads a file, chunks it and queues its new chunks; null (with a warning) when the source
   * fails. With `readInto` one buffer serves every file; a file that fits in one read and is no
   * longer than the chunker's minimum is its own single chunk and skips the chunker.
   */
  private async readContent(path: string, file: SourceFile, expected: number, previous: readonly Id[] | undefined): Promise<{ content: Id[]; size: number } | null> {
    const content: Id[] = [];
    const save = this.chunkSaver(previous);
    let size = 0;
    const readInto = file.readInto;
    if (readInto === undefined) {
      // A buffer the size of the file (plus one byte, to see the end) rather than a large one for every small file.
      const pieces = file.chunks(Math.min(this.bufferSize, expected + 1), this.options.signal)[Symbol.asyncIterator]();
      for (;;) {
        const next = await this.fromSource(path, () => pieces.next());
        if (next === null) return null;
        if (next.done === true) break;
        size += next.value.byteLength;
        for (const chunk of this.chunker.push(next.value)) content.push(await save(chunk));
      }
    } else {
      // A file longer than the chunker's minimum is read straight into the chunker's window, in
      // pieces of CHUNKED_PIECE (no copy, and the window's pages in use stay few); a shorter one
      // into one buffer (its own single chunk, unless it grew).
      const chunked = expected > this.chunkerMin;
      const small = this.smallBuffer();
      const piece = Math.min(chunked ? CHUNKED_PIECE : small.length, this.bufferSize, expected + 1);
      for (;;) {
        if (this.options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', `backup interrupted at ${path}`);
        const buffer = chunked ? this.chunker.room(piece) : small.subarray(0, piece);
        const n = await this.fromSource(path, () => readInto.call(file, buffer, size));
        if (n === null) return null;
        if (n === 0) break;
        // A short read that reaches the size stat gave is the end: no second read to see it.
        const end = n < buffer.length && size + n === expected;
        if (end && size === 0 && n <= this.chunkerMin && !chunked) {
          content.push(await save(buffer.subarray(0, n)));
          return { content, size: n };
        }
        size += n;
        for (const chunk of chunked ? this.chunker.pushed(n) : this.chunker.push(buffer.subarray(0, n))) content.push(await save(chunk));
        if (end) break;
      }
    }
    for (const chunk of this.chunker.finish()) content.push(await save(chunk));
    return { content, size };
  }

  /**
   * Stores a file's chunks, given in order, each with its delta base: the parent file's chunk
   * (`previous`) it overlaps most; else (or when that gives no delta) the chunk of this backup that
   * resembles it most (every chunk is remembered for later ones).
   */
  private chunkSaver(previous: readonly Id[] | undefined): (chunk: Uint8Array) => Promise<Id> {
    const chooseBase = deltaBaseChooser(previous, this.repo.index);
    const resemblance = this.resemblance;
    let at = 0;
    return async (chunk) => {
      const base = chooseBase(at, chunk.length);
      at += chunk.length;
      if (resemblance === null || chunk.length < RESEMBLANCE.minChunk) return this.writer.saveData(chunk, base);
      const features = sketch(chunk);
      const id = await this.writer.saveData(chunk, base, resemblance.candidate(features));
      resemblance.add(features, id);
      return id;
    };
  }

  /**
   * The parent's chunk list when the file need not be read (null otherwise): its size, mtime,
   * ctime and inode are the parent's (unless the source says they cannot show a change), or the
   * source's own digest of it equals the parent's single chunk (a SHA-256: never in an encrypted
   * repository, whose ids are keyed). Never with `force`, and never when a chunk is gone from the
   * index (a prune removed it).
   */
  private async unchangedContent(parent: SourceDir, path: string, name: string, stat: EntryStat, previous: Previous | undefined): Promise<Id[] | null> {
    const byMetadata = this.unchangedByMetadata(stat, previous);
    if (byMetadata !== null) return byMetadata;
    const content = this.reusableContent(stat, previous);
    if (content === null) return null;
    const digest = parent.digest;
    if (digest === undefined || content.length > 1) return null;
    if (content.length === 0) return stat.size === 0 ? content : null;
    const sum = await this.fromSource(path, () => digest.call(parent, name));
    return sum !== null && content[0] !== undefined && idEquals(sum, content[0]) ? content : null;
  }

  /** The parent's chunk list when it may be reused at all: no `force`, the parent's size, every chunk still indexed. */
  private reusableContent(stat: EntryStat, previous: Previous | undefined): Id[] | null {
    if (this.options.force === true || previous?.type !== 'file' || previous.content === undefined || previous.size !== stat.size) return null;
    const content = previous.content;
    for (const id of content) if (!this.writer.has(id)) return null;
    return content;
  }

  /** The parent's chunk list when the file's size, mtime, ctime and inode are the parent's (and the source says they show a change). */
  private unchangedByMetadata(stat: EntryStat, previous: Previous | undefined): Id[] | null {
    if (this.options.source.metadataShowsChanges === false || previous === undefined || !this.sameChangeStamp(stat, previous)) return null;
    return this.reusableContent(stat, previous);
  }

  /** The entry's mtime, ctime and inode are the parent's: what shows that it did not change. */
  private sameChangeStamp(stat: EntryStat, previous: Previous): boolean {
    return this.options.source.metadataShowsChanges !== false && previous.mtimeNs === stat.mtimeNs && previous.ctimeNs === stat.ctimeNs && previous.ino === stat.ino;
  }

  /** Runs a source operation; a CairnError from it becomes an `unreadable` warning and null. */
  private async fromSource<T>(path: string, operation: () => Promise<T>): Promise<T | null> {
    try {
      return await operation();
    } catch (error) {
      this.warnError('unreadable', path, error);
      return null;
    }
  }

  /** A file recorded by reference: its metadata, and where its VCS holds its content. */
  private saveReference(path: string, name: string, stat: EntryStat, ref: FileRef): TreeNode {
    this.counts.filesReferenced += 1;
    this.bytesDone += stat.size;
    this.progress(path);
    return makeNode(name, stat, { ref, size: stat.size });
  }

  private countClass(decision: EntryDecision | undefined, size: number): void {
    if (decision?.class === undefined) return;
    const name = decision.class;
    const count = this.classes.get(name) ?? { files: 0, bytes: 0 };
    count.files += 1;
    count.bytes += size;
    this.classes.set(name, count);
  }

  private async saveSymlink(parent: SourceDir, path: string, name: string, stat: EntryStat): Promise<TreeNode | null> {
    const linkTarget = await this.fromSource(path, () => parent.readlink(name));
    if (linkTarget === null) return null;
    this.counts.symlinks += 1;
    return makeNode(name, stat, { linkTarget, size: 0 });
  }

  private countFile(content: readonly Id[], previous: Previous | undefined): void {
    if (previous?.type !== 'file' || previous.content === undefined) this.counts.filesNew += 1;
    else if (sameContent(previous.content, content)) this.counts.filesUnchanged += 1;
    else this.counts.filesChanged += 1;
  }

  private warnError(kind: BackupWarningKind, path: string, error: unknown): void {
    if (!isCairnError(error) || error.code === 'ERR_ABORTED') throw error;
    this.warn(kind, path, naming(path, error.message));
  }

  private warn(kind: BackupWarningKind, path: string, message: string): void {
    const warning = { kind, path, message };
    this.warnings.push(warning);
    this.options.onWarning?.(warning);
  }

  private progress(path: string): void {
    const { filesNew, filesChanged, filesUnchanged, dirs, bytesRead } = this.counts;
    const onProgress = this.options.onProgress;
    if (onProgress === undefined) return;
    onProgress({
      files: filesNew + filesChanged + filesUnchanged, dirs, bytesRead, bytesAdded: this.writer.stats.bytesAdded, bytesDone: this.bytesDone,
      ...(this.total === undefined ? {} : { total: this.total }), path,
    });
  }
}

/** How a stored node compares with the parent's node at the same path. */
function entryStatus(node: TreeNode, previous: Previous | undefined): BackupEntryStatus {
  if (previous === undefined || previous.type !== node.type) return 'new';
  switch (node.type) {
    case 'file':
      if (previous.content === undefined) return 'new';
      return node.content !== undefined && sameContent(previous.content, node.content) ? 'unchanged' : 'changed';
    case 'dir':
      if (previous.subtree === undefined) return 'new';
      return node.subtree !== undefined && idEquals(node.subtree, previous.subtree) ? 'unchanged' : 'changed';
    case 'symlink':
      return node.linkTarget === previous.linkTarget ? 'unchanged' : 'changed';
    default:
      return 'unchanged';
  }
}

/** What names an entry on its machine: its device and inode. */
/**
 * The names of a folder's entries, pushed into a new array (not mapped): Array.prototype.map
 * returns packed or holey arrays depending on whether V8 has optimized its caller yet, and each
 * kind the walk meets after saveOpenDir was optimized makes V8 compile that function again.
 */
function namesOf(entries: readonly DirEntry[] | null): string[] {
  const names: string[] = [];
  if (entries !== null) for (let i = 0; i < entries.length; i += 1) names.push(entries[i]!.name);
  return names;
}

/** The parent folder's files (`before`, by name) whose names the folder no longer lists (`names`), by inode. */
function goneFiles(before: ReadonlyMap<string, TreeNode>, names: readonly string[]): Map<bigint, TreeNode> {
  const listed = new Set(names);
  const gone = new Map<bigint, TreeNode>();
  for (const [name, node] of before) if (node.type === 'file' && !listed.has(name)) gone.set(node.ino, node);
  return gone;
}

function identity(stat: EntryStat): string {
  return `${stat.dev}:${stat.ino}`;
}

/** True when both lists hold the same nodes, field for field, in the same order (so they encode to the same tree). */
function sameNodes(nodes: readonly TreeNode[], others: Iterable<TreeNode>): boolean {
  let i = 0;
  for (const other of others) {
    const node = nodes[i++];
    if (node === undefined || !sameNode(node, other)) return false;
  }
  return i === nodes.length;
}

function sameNode(a: TreeNode, b: TreeNode): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as (keyof TreeNode)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (key === 'xattrs') {
      if (!sameXattrs(a.xattrs ?? [], b.xattrs ?? [])) return false;
      continue;
    }
    if (x instanceof Uint8Array && y instanceof Uint8Array) {
      if (!idEquals(x, y)) return false;
    } else if (Array.isArray(x) && Array.isArray(y)) {
      if (!sameContent(x, y)) return false;
    } else if (key === 'ref' && a.ref !== undefined && b.ref !== undefined) {
      if (a.ref.id !== b.ref.id || a.ref.commit !== b.ref.commit) return false;
    } else {
      return false;
    }
  }
  return true;
}

function sameXattrs(a: readonly Xattr[], b: readonly Xattr[]): boolean {
  return a.length === b.length && a.every((xattr, i) => {
    const other = b[i];
    return other !== undefined && xattr.name === other.name && idEquals(xattr.value, other.value);
  });
}

function sameContent(a: readonly Id[], b: readonly Id[]): boolean {
  return a.length === b.length && a.every((id, i) => {
    const other = b[i];
    return other !== undefined && idEquals(id, other);
  });
}

/**
 * True when `node`, whose type, mtime, ctime and inode are `stat`'s, records the rest of what
 * `stat` says too, with `size` (a node of a file or symlink, nothing but its content or target besides).
 */
function sameOtherMetadata(node: TreeNode, stat: EntryStat, size: number): boolean {
  return node.mode === stat.mode && node.uid === stat.uid && node.gid === stat.gid && node.nlink === stat.nlink && node.size === size
    && node.dev === stat.dev && node.rdev === undefined && node.ref === undefined && node.subtree === undefined;
}

function withXattrList(node: TreeNode, xattrs: readonly Xattr[] | undefined): TreeNode {
  return xattrs === undefined ? node : { ...node, xattrs };
}

function makeNode(name: string, stat: EntryStat, extra: { content?: Id[]; subtree?: Id; linkTarget?: string; size?: number; rdev?: number; ref?: FileRef }): TreeNode {
  return {
    name,
    type: stat.type,
    mode: stat.mode,
    uid: stat.uid,
    gid: stat.gid,
    mtimeNs: stat.mtimeNs,
    ctimeNs: stat.ctimeNs,
    ino: stat.ino,
    dev: stat.dev,
    nlink: stat.nlink,
    size: extra.size ?? stat.size,
    ...(extra.content === undefined ? {} : { content: extra.content }),
    ...(extra.subtree === undefined ? {} : { subtree: extra.subtree }),
    ...(extra.linkTarget === undefined ? {} : { linkTarget: extra.linkTarget }),
    ...(extra.rdev === undefined ? {} : { rdev: extra.rdev }),
    ...(extra.ref === undefined ? {} : { ref: extra.ref }),
  };
}
