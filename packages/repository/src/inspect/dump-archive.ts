import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { CairnError, wellFormedText } from '@cairn/core';
import type { Id } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import { createZstdCompressStream } from '@cairn/pack';
import { acquireReadLease } from '../locks/lease.js';
import { snapshotPath } from '../repo/names.js';
import { findSnapshot } from '../repo/snapshots.js';
import type { SnapshotFilter } from '../repo/snapshots.js';
import type { Repository } from '../repo/repository.js';
import { fileContent, lookupNode } from '../tree/file-lookup.js';
import type { ArchiveEntry, ArchiveWriter } from './archive-entry.js';
import { createTarWriter } from './archive-tar.js';
import { createZipWriter } from './archive-zip.js';
import { BlobReadAhead } from './blob-read-ahead.js';
import { snapshotPathOf } from './file-versions.js';

/** The archive formats `dumpArchive` writes. */
export const ARCHIVE_FORMATS = ['tar', 'tar.zst', 'zip'] as const;

/** An archive format: tar (POSIX, pax where needed), tar compressed with zstd, or zip. */
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/** Options of dumpArchive. */
export interface DumpArchiveOptions {
  readonly format: ArchiveFormat;
  readonly filter?: SnapshotFilter;
  readonly signal?: AbortSignal;
  /** The zstd level of tar.zst (default 3). */
  readonly zstdLevel?: number;
  /**
   * Reuse the buffers of the chunks given (tar): each chunk is valid only until the next is asked
   * for, so write it, and wait for the write, before asking (what the CLI does). Saves
   * allocating, and collecting, a buffer per MiB of archive.
   */
  readonly reuseChunks?: boolean;
}

/**
 * A snapshot, or some of its paths (files or folders, as `cairn ls` shows them or absolute
 * below its recorded paths), as one archive, streamed: entries depth-first in tree order, each
 * named by its path in the snapshot, with modes, owners, mtimes, symlinks, hardlinks (tar) and
 * extended attributes (tar). Memory is bounded, whatever the snapshot's size: the walk runs at
 * most 8,192 entries (64 MiB of files) ahead, 48 MiB are read ahead and decoded into a 64 MiB
 * buffer, 8 MiB of archive wait for the reader. Errors about
 * the paths come before the first byte. No paths: the whole snapshot.
 */
export async function* dumpArchive(repo: Repository, ref: string, paths: readonly string[], options: DumpArchiveOptions): AsyncGenerator<Uint8Array> {
  const lease = await acquireReadLease(repo, 'dump');
  try {
    const { id, snapshot } = await findSnapshot(repo, ref, options.filter === undefined ? {} : { filter: options.filter });
    const where = `snapshot ${id.slice(0, 8)}`;
    const roots = await resolveRoots(repo, snapshot.tree, snapshot, paths, where);
    const writer = options.format === 'zip' ? createZipWriter() : createTarWriter({ reuse: options.format === 'tar' && options.reuseChunks === true });
    // The tar writer copies each blob before it asks for the next: its blobs may be decoded into a reused buffer.
    const reads = new BlobReadAhead(repo, { arenaBytes: options.format === 'zip' ? 0 : ARENA_BYTES });
    const producing = writeEntries(repo, reads, writer, roots, where, options.format !== 'zip', options.signal).then(
      () => writer.finish(),
      (error: unknown) => {
        writer.destroy(error instanceof Error ? error : new Error(String(error)));
        throw error;
      },
    );
    producing.catch(() => undefined); // awaited below; the output ends with the same error first
    // The tar writer makes large buffers itself; zip's pieces (and zstd's) are gathered here.
    const output = options.format === 'tar' ? writer.output : batched(options.format === 'tar.zst' ? compressed(writer.output, options.zstdLevel ?? 3) : writer.output);
    try {
      yield* output;
      await producing;
    } finally {
      writer.destroy();
    }
  } finally {
    await lease?.release();
  }
}

/** A root of a dump: a node and its name in the archive; a whole snapshot's root has the name "" and its tree. */
interface Root {
  readonly name: string;
  readonly node: TreeNode | null;
  readonly tree?: Id;
}

async function resolveRoots(repo: Repository, tree: Id, snapshot: { readonly paths: string[] }, paths: readonly string[], where: string): Promise<Root[]> {
  if (paths.length === 0) return [{ name: '', node: null, tree }];
  const roots: Root[] = [];
  for (const path of paths) {
    const parts = snapshotPathOf(snapshot, path);
    if (parts.length === 0) return [{ name: '', node: null, tree }];
    const node = await lookupNode(repo, tree, parts, where);
    if (node === null) throw new CairnError('ERR_NOT_FOUND', `${where} has no ${snapshotPath(parts)}`, { hint: `list the snapshot with \`cairn ls ${where.slice(-8)}\`` });
    roots.push({ name: snapshotPath(parts), node });
  }
  // A path inside another one given (proj and proj/src) is written once, by the outer one.
  return roots.filter((root, i) => !roots.some((other, j) => j !== i && (other.name === root.name ? j < i : root.name.startsWith(`${other.name}/`))));
}

/** Entries the walk may run ahead of the archive writer, and the bytes of their files (what the blob reads look ahead over). */
const AHEAD_ENTRIES = 8192;
const AHEAD_BYTES = 32 * 1024 * 1024;

/** The read-ahead's arena: its budget of bytes not yet used and one more read. */
const ARENA_BYTES = 32 * 1024 * 1024;

async function writeEntries(repo: Repository, reads: BlobReadAhead, writer: ArchiveWriter, roots: readonly Root[], where: string, hardlinks: boolean, signal: AbortSignal | undefined): Promise<void> {
  try {
    await writeWalked(writer, new EntryWalk(repo, reads, roots, where, hardlinks, signal));
  } finally {
    await reads.close();
  }
}

async function writeWalked(writer: ArchiveWriter, walk: EntryWalk): Promise<void> {
  // The walk runs ahead of the writer, so that the blobs of the files to come are being read meanwhile.
  const ahead: (ArchiveEntry | undefined)[] = new Array<ArchiveEntry | undefined>(AHEAD_ENTRIES);
  let first = 0;
  let count = 0;
  let aheadBytes = 0;
  for (;;) {
    while (count < AHEAD_ENTRIES && aheadBytes < AHEAD_BYTES) {
      const next = walk.next() ?? await walk.nextAfterLoad();
      if (next === null) break;
      ahead[(first + count) % AHEAD_ENTRIES] = next;
      count += 1;
      aheadBytes += next.content === undefined ? 0 : next.node.size;
    }
    if (count === 0) return;
    const entry = ahead[first]!;
    ahead[first] = undefined;
    first = (first + 1) % AHEAD_ENTRIES;
    count -= 1;
    aheadBytes -= entry.content === undefined ? 0 : entry.node.size;
    await writer.add(entry);
  }
}

/** A folder being walked: its nodes, the next one to give, and its path in the archive. */
interface Level {
  readonly prefix: string;
  readonly nodes: readonly TreeNode[];
  index: number;
}

/**
 * The entries below the roots, depth-first in tree order, from an explicit stack (a folder's
 * tree is the only thing waited for); a file's blobs are queued for reading as it is reached.
 */
class EntryWalk {
  private readonly stack: Level[] = [];
  /** The roots not started yet, and a folder whose tree is to be loaded before the next entry. */
  private rootIndex = 0;
  private pendingTree: { prefix: string; tree: Id } | null = null;
  /** The first name of each file whose inode has more links: later names become hardlinks to it. */
  private readonly linked = new Map<string, string>();

  constructor(
    private readonly repo: Repository,
    private readonly reads: BlobReadAhead,
    private readonly roots: readonly Root[],
    private readonly where: string,
    private readonly hardlinks: boolean,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** The next entry without waiting; undefined when a tree must be loaded first (nextAfterLoad), null at the end. */
  next(): ArchiveEntry | null | undefined {
    if (this.pendingTree !== null) return undefined;
    for (;;) {
      const level = this.stack[this.stack.length - 1];
      if (level === undefined) {
        const root = this.roots[this.rootIndex];
        if (root === undefined) return null;
        this.rootIndex += 1;
        if (root.node === null) {
          this.pendingTree = { prefix: '', tree: root.tree! };
          return undefined;
        }
        return this.visit(root.name, root.node);
      }
      const node = level.nodes[level.index];
      if (node === undefined) {
        this.stack.pop();
        continue;
      }
      level.index += 1;
      return this.visit(level.prefix === '' ? node.name : `${level.prefix}/${node.name}`, node);
    }
  }

  /** Loads the folder next() waits for, then gives the next entry. */
  async nextAfterLoad(): Promise<ArchiveEntry | null> {
    const pending = this.pendingTree;
    if (pending !== null) {
      const nodes = await this.repo.loadTree(pending.tree, `${this.where}: ${pending.prefix === '' ? '/' : wellFormedText(pending.prefix)}`);
      this.pendingTree = null;
      this.stack.push({ prefix: pending.prefix, nodes, index: 0 });
    }
    const next = this.next();
    return next === undefined ? this.nextAfterLoad() : next;
  }

  private visit(name: string, node: TreeNode): ArchiveEntry {
    if (this.signal?.aborted === true) throw new CairnError('ERR_ABORTED', `dump interrupted at ${wellFormedText(name)}`);
    if (node.type === 'dir' && node.subtree !== undefined) this.pendingTree = { prefix: name, tree: node.subtree };
    if (node.type !== 'file') return { name, node };
    const key = this.hardlinks && node.nlink > 1 ? `${node.dev}:${node.ino}` : undefined;
    const first = key === undefined ? undefined : this.linked.get(key);
    if (first !== undefined) return { name, node, linkTo: first };
    if (key !== undefined) this.linked.set(key, name);
    const at = `${wellFormedText(name)} in ${this.where}`;
    if (node.content === undefined) return { name, node, content: () => fileContent(this.repo, node, at, this.signal) }; // by reference: fileContent says why not
    return { name, node, content: this.reads.queue(node.content, at) };
  }
}

/** `tar` through a zstd compressor. */
function compressed(tar: AsyncIterable<Uint8Array>, level: number): AsyncIterable<Uint8Array> {
  const compress = createZstdCompressStream(level);
  pipeline(Readable.from(tar), compress, () => undefined);
  return compress;
}

/** Pieces smaller than this are gathered into one buffer of this size (tar's 512-byte headers): fewer, larger writes. */
const BATCH = 1 << 20;

/** `pieces` with the small ones gathered into buffers of up to BATCH bytes, in order. */
async function* batched(pieces: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(BATCH);
  let used = 0;
  for await (const piece of pieces) {
    if (piece.byteLength >= BATCH / 4) {
      if (used > 0) yield buffer.subarray(0, used);
      if (used > 0) [buffer, used] = [new Uint8Array(BATCH), 0];
      yield piece;
      continue;
    }
    if (used + piece.byteLength > BATCH) {
      yield buffer.subarray(0, used);
      [buffer, used] = [new Uint8Array(BATCH), 0];
    }
    buffer.set(piece, used);
    used += piece.byteLength;
  }
  if (used > 0) yield buffer.subarray(0, used);
}
