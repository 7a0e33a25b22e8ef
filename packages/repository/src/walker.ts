import { CairnError, idEquals, isCairnError, toHex } from '@cairn/core';
import type { EntryStat, Id } from '@cairn/core';
import { createChunker } from '@cairn/chunker';
import type { StreamingChunker } from '@cairn/chunker';
import { encodeTree } from '@cairn/index';
import type { SnapshotSummary, TreeNode } from '@cairn/index';
import type { BackupOptions, BackupWarning, BackupWarningKind } from './archiver.js';
import type { BlobWriter } from './blob-writer.js';
import { naming } from './names.js';
import type { Repository } from './repository.js';

const DEFAULT_READ_BUFFER = 4 * 1024 * 1024;

/** The parent snapshot's nodes of a tree by name; empty when it cannot be read. */
export async function loadNodeMap(repo: Repository, tree: Id): Promise<Map<string, TreeNode>> {
  try {
    const nodes = await repo.loadTree(tree, `parent tree ${toHex(tree)}`);
    return new Map(nodes.map((node) => [node.name, node]));
  } catch (error) {
    // A damaged parent only costs the comparison; the backup itself reads everything.
    if (isCairnError(error) && error.code !== 'ERR_TRANSIENT') return new Map();
    throw error;
  }
}

/** What the walk needs of the parent snapshot's node at the same path. */
export type Previous = Pick<TreeNode, 'type' | 'content' | 'subtree'>;

type Counts = { -readonly [K in 'filesNew' | 'filesChanged' | 'filesUnchanged' | 'dirs' | 'symlinks' | 'others' | 'bytesRead']: SnapshotSummary[K] };

/** Walks a source depth-first, storing file content and writing trees bottom-up. */
export class Walker {
  readonly warnings: BackupWarning[] = [];
  readonly counts: Counts = { filesNew: 0, filesChanged: 0, filesUnchanged: 0, dirs: 0, symlinks: 0, others: 0, bytesRead: 0 };
  private readonly hardlinks = new Map<string, { content: Id[]; size: number }>();
  private readonly bufferSize: number;
  /** One chunker for the whole walk: finish() resets it, and its window is kept. */
  private readonly chunker: StreamingChunker;
  private readonly skip: ReadonlySet<string>;

  constructor(
    private readonly repo: Repository,
    private readonly options: BackupOptions,
    readonly writer: BlobWriter,
  ) {
    this.bufferSize = options.readBufferSize ?? DEFAULT_READ_BUFFER;
    this.chunker = createChunker(repo.config.chunker);
    this.skip = new Set(options.skip ?? []);
  }

  async saveEntry(path: string, name: string, stat: EntryStat, previous: Previous | undefined): Promise<TreeNode | null> {
    if (this.options.signal?.aborted) throw new CairnError('ERR_ABORTED', `backup interrupted at ${path}`);
    switch (stat.type) {
      case 'dir':
        return this.saveDir(path, name, stat, previous);
      case 'file':
        return this.saveFile(path, name, stat, previous);
      case 'symlink':
        return this.saveSymlink(path, name, stat);
      default:
        this.counts.others += 1;
        this.warn('special', path, `${path}: ${stat.type} recorded without content`);
        return makeNode(name, stat, { rdev: stat.rdev });
    }
  }

  private async saveDir(path: string, name: string, stat: EntryStat, previous: Previous | undefined): Promise<TreeNode> {
    const names = (await this.fromSource(path, () => this.options.source.readdir(path))) ?? [];
    const before = previous?.type === 'dir' && previous.subtree !== undefined ? await loadNodeMap(this.repo, previous.subtree) : new Map<string, TreeNode>();
    const nodes: TreeNode[] = [];
    for (const child of names) {
      const childPath = this.options.source.join(path, child);
      if (this.skip.has(childPath)) continue;
      const childStat = await this.fromSource(childPath, () => this.options.source.lstat(childPath));
      if (childStat === null) continue;
      const node = await this.saveEntry(childPath, child, childStat, before.get(child));
      if (node !== null) nodes.push(node);
    }
    const subtree = await this.writer.save('tree', encodeTree(nodes));
    this.counts.dirs += 1;
    this.progress(path);
    return makeNode(name, stat, { subtree, size: 0 });
  }

  private async saveFile(path: string, name: string, stat: EntryStat, previous: Previous | undefined): Promise<TreeNode | null> {
    const linkKey = stat.nlink > 1 ? `${stat.dev}:${stat.ino}` : undefined;
    const linked = linkKey === undefined ? undefined : this.hardlinks.get(linkKey);
    if (linked !== undefined) {
      this.countFile(linked.content, previous);
      return makeNode(name, stat, { content: linked.content, size: linked.size });
    }
    // Errors of the source (the file) only warn; errors of the repository end the backup.
    const file = await this.fromSource(path, () => this.options.source.openFile(path));
    if (file === null) return null;
    try {
      const before = await this.fromSource(path, () => file.stat());
      if (before === null) return null;
      const content: Id[] = [];
      // A buffer the size of the file (plus one byte, to see the end) rather than a large one for every small file.
      const bufferSize = Math.min(this.bufferSize, before.size + 1);
      const pieces = file.chunks(bufferSize, this.options.signal)[Symbol.asyncIterator]();
      let size = 0;
      for (;;) {
        const next = await this.fromSource(path, () => pieces.next());
        if (next === null) return null;
        if (next.done === true) break;
        size += next.value.byteLength;
        for (const chunk of this.chunker.push(next.value)) content.push(await this.writer.save('data', chunk));
      }
      for (const chunk of this.chunker.finish()) content.push(await this.writer.save('data', chunk));
      const after = await this.fromSource(path, () => file.stat());
      if (after === null) return null;
      this.counts.bytesRead += size;
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs || size !== before.size) {
        this.warn('changed', path, `${path} changed while it was read (size ${before.size} -> ${after.size}, ${size} bytes read); the stored copy may be inconsistent`);
      }
      if (linkKey !== undefined) this.hardlinks.set(linkKey, { content, size });
      this.countFile(content, previous);
      this.progress(path);
      return makeNode(name, before, { content, size });
    } finally {
      this.chunker.finish(); // drops what a file abandoned part-way left (empty otherwise)
      await file.close().catch(() => undefined);
    }
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

  private async saveSymlink(path: string, name: string, stat: EntryStat): Promise<TreeNode | null> {
    const linkTarget = await this.fromSource(path, () => this.options.source.readlink(path));
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
    this.options.onProgress?.({ files: filesNew + filesChanged + filesUnchanged, dirs, bytesRead, bytesAdded: this.writer.stats.bytesAdded, path });
  }
}

function sameContent(a: readonly Id[], b: readonly Id[]): boolean {
  return a.length === b.length && a.every((id, i) => {
    const other = b[i];
    return other !== undefined && idEquals(id, other);
  });
}

function makeNode(name: string, stat: EntryStat, extra: { content?: Id[]; subtree?: Id; linkTarget?: string; size?: number; rdev?: number }): TreeNode {
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
  };
}
