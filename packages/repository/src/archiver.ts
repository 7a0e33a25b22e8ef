import { hostname as osHostname, userInfo } from 'node:os';
import { CairnError, fromHex, idEquals, isCairnError } from '@cairn/core';
import type { EntryStat, Id, Source } from '@cairn/core';
import { createChunker } from '@cairn/chunker';
import type { StreamingChunker } from '@cairn/chunker';
import { encodeTree } from '@cairn/index';
import type { Snapshot, SnapshotSummary, TreeNode } from '@cairn/index';
import { createBlobWriter } from './blob-writer.js';
import type { BlobWriter } from './blob-writer.js';
import { findSnapshot, listSnapshots, sameOrigin, saveSnapshot } from './snapshots.js';
import type { Repository } from './repository.js';

/** Why a backup warned about an entry. */
export type BackupWarningKind = 'unreadable' | 'changed' | 'special';

/** Something a backup could not store exactly; `unreadable` and `changed` make it partial. */
export interface BackupWarning {
  readonly kind: BackupWarningKind;
  readonly path: string;
  readonly message: string;
}

/** Progress of a running backup. */
export interface BackupProgress {
  readonly files: number;
  readonly dirs: number;
  readonly bytesRead: number;
  readonly bytesAdded: number;
  readonly path: string;
}

/** Options of backup(). */
export interface BackupOptions {
  readonly source: Source;
  /** What to back up; each becomes an entry of the snapshot's root named by its last component. */
  readonly paths: readonly string[];
  readonly tags?: readonly string[];
  readonly description?: string;
  readonly meta?: Readonly<Record<string, string>>;
  readonly hostname?: string;
  readonly username?: string;
  /** The snapshot's time (default: now). */
  readonly time?: Date;
  /** The parent snapshot (id, prefix or `latest`); default: the latest of the same paths and host. */
  readonly parent?: string;
  /** Bytes read from a file at a time. */
  readonly readBufferSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackupProgress) => void;
  readonly onWarning?: (warning: BackupWarning) => void;
}

/** What backup() made. */
export interface BackupResult {
  readonly id: string;
  readonly snapshot: Snapshot;
  readonly warnings: readonly BackupWarning[];
  /** True when some file could not be read, or changed while it was read. */
  readonly partial: boolean;
}

const DEFAULT_READ_BUFFER = 4 * 1024 * 1024;

/** Checks that every path exists; returns their absolute forms and root names (before anything is written). */
export async function resolveBackupPaths(source: Source, paths: readonly string[]): Promise<{ path: string; name: string; stat: EntryStat }[]> {
  if (paths.length === 0) throw new TypeError('backup needs at least one path');
  const resolved = [];
  const byName = new Map<string, string>();
  for (const given of paths) {
    const path = source.resolve(given);
    let stat: EntryStat;
    try {
      stat = await source.lstat(path);
    } catch (error) {
      if (isCairnError(error, 'ERR_NOT_FOUND')) {
        throw new CairnError('ERR_NOT_FOUND', `cannot back up ${given}: no such file or folder (${path})`, { cause: error });
      }
      throw error;
    }
    const name = path.split('/').filter(Boolean).pop() ?? '';
    const clash = byName.get(name);
    if (clash !== undefined) {
      throw new CairnError('ERR_EXISTS', `${clash} and ${path} would both be "${name || '/'}" in the snapshot`, {
        hint: 'back them up in separate snapshots, or back up their common parent',
      });
    }
    byName.set(name, path);
    resolved.push({ path, name, stat });
  }
  if (byName.has('') && resolved.length > 1) {
    throw new CairnError('ERR_EXISTS', '"/" holds every other path: back it up on its own');
  }
  return resolved;
}

/** Backs up `options.paths` into the repository and writes the snapshot last. */
export async function backup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const roots = await resolveBackupPaths(options.source, options.paths);
  const hostname = options.hostname ?? osHostname();
  const paths = roots.map((root) => root.path);
  const parent = await pickParent(repo, options.parent, { paths, hostname });
  // A snapshot of "/" alone has the tree of "/" as its root: its parent's root is the previous "/".
  const wholeRoot = roots.length === 1 && roots[0]?.name === '';
  const parentTree = parent === null ? undefined : fromHex(parent.tree);
  const parentRoot = parentTree === undefined || wholeRoot ? new Map<string, TreeNode>() : await loadNodeMap(repo, parentTree);

  const walker = new Walker(repo, options, createBlobWriter(repo));
  const rootNodes: TreeNode[] = [];
  for (const root of roots) {
    const previous: Previous | undefined = wholeRoot ? parentTree && { type: 'dir', subtree: parentTree } : parentRoot.get(root.name);
    const node = await walker.saveEntry(root.path, root.name, root.stat, previous);
    if (node !== null) rootNodes.push(node);
  }
  const single = rootNodes[0];
  const tree = wholeRoot && single?.subtree !== undefined
    ? single.subtree
    : await walker.writer.save('tree', encodeTree(rootNodes));
  await walker.writer.finish();

  const ws = walker.writer.stats;
  const summary: SnapshotSummary = {
    ...walker.counts,
    bytesAdded: ws.bytesAdded,
    dataBlobsAdded: ws.dataBlobsAdded,
    treeBlobsAdded: ws.treeBlobsAdded,
    packsAdded: ws.packsAdded,
    warnings: walker.warnings.length,
    durationMs: Date.now() - started,
  };
  const snapshot: Snapshot = {
    time: BigInt((options.time ?? new Date()).getTime()) * 1_000_000n,
    tree,
    paths,
    hostname,
    username: options.username ?? safeUsername(),
    tags: [...(options.tags ?? [])],
    description: options.description ?? '',
    meta: { ...(options.meta ?? {}) },
    parent: parent === null ? null : fromHex(parent.id),
    program: 'cairn 0.1.0',
    summary,
  };
  const id = await saveSnapshot(repo, snapshot);
  const partial = walker.warnings.some((w) => w.kind !== 'special');
  return { id, snapshot, warnings: walker.warnings, partial };
}

async function pickParent(
  repo: Repository,
  ref: string | undefined,
  origin: { paths: string[]; hostname: string },
): Promise<{ id: string; tree: string } | null> {
  if (ref !== undefined) {
    const entry = await findSnapshot(repo, ref);
    return { id: entry.id, tree: toHexId(entry.snapshot.tree) };
  }
  const { snapshots } = await listSnapshots(repo);
  const latest = snapshots.filter((entry) => sameOrigin(entry.snapshot, origin)).pop();
  return latest === undefined ? null : { id: latest.id, tree: toHexId(latest.snapshot.tree) };
}

function toHexId(id: Id): string {
  return Buffer.from(id).toString('hex');
}

async function loadNodeMap(repo: Repository, tree: Id): Promise<Map<string, TreeNode>> {
  try {
    const nodes = await repo.loadTree(tree, `parent tree ${toHexId(tree)}`);
    return new Map(nodes.map((node) => [node.name, node]));
  } catch (error) {
    // A damaged parent only costs the comparison; the backup itself reads everything.
    if (isCairnError(error) && error.code !== 'ERR_TRANSIENT') return new Map();
    throw error;
  }
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** What the walk needs of the parent snapshot's node at the same path. */
type Previous = Pick<TreeNode, 'type' | 'content' | 'subtree'>;

type Counts = { -readonly [K in 'filesNew' | 'filesChanged' | 'filesUnchanged' | 'dirs' | 'symlinks' | 'others' | 'bytesRead']: SnapshotSummary[K] };

/** Walks a source depth-first, storing file content and writing trees bottom-up. */
class Walker {
  readonly warnings: BackupWarning[] = [];
  readonly counts: Counts = { filesNew: 0, filesChanged: 0, filesUnchanged: 0, dirs: 0, symlinks: 0, others: 0, bytesRead: 0 };
  private readonly hardlinks = new Map<string, { content: Id[]; size: number }>();
  private readonly bufferSize: number;
  /** One chunker for the whole walk: finish() resets it, and its window is kept. */
  private readonly chunker: StreamingChunker;

  constructor(
    private readonly repo: Repository,
    private readonly options: BackupOptions,
    readonly writer: BlobWriter,
  ) {
    this.bufferSize = options.readBufferSize ?? DEFAULT_READ_BUFFER;
    this.chunker = createChunker(repo.config.chunker);
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
        this.warn('special', path, `${stat.type} recorded without content`);
        return makeNode(name, stat, { rdev: stat.rdev });
    }
  }

  private async saveDir(path: string, name: string, stat: EntryStat, previous: Previous | undefined): Promise<TreeNode> {
    const names = (await this.fromSource(path, () => this.options.source.readdir(path))) ?? [];
    const before = previous?.type === 'dir' && previous.subtree !== undefined ? await loadNodeMap(this.repo, previous.subtree) : new Map<string, TreeNode>();
    const nodes: TreeNode[] = [];
    for (const child of names) {
      const childPath = this.options.source.join(path, child);
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
        this.warn('changed', path, `changed while it was read (size ${before.size} -> ${after.size}, ${size} bytes read); the stored copy may be inconsistent`);
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
    this.warn(kind, path, error.message);
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
