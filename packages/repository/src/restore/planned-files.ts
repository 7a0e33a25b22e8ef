import type { Id, Xattr } from '@cairn/core';
import type { BlobIndex, TreeNode } from '@cairn/index';
import { grownCapacity, resized } from './columns.js';
import { NeededBlobs } from './needed-blobs.js';
import type { PlannedFile, PlannedLink } from './restore-context.js';

/** The chunks of a restore's files: file f's blobs are useBlob[useStart[f] .. useStart[f + 1]). */
export interface FileContents {
  /** One more entry than there are files. */
  readonly useStart: Int32Array;
  readonly useBlob: Int32Array;
}

const NO_LINKS: readonly PlannedLink[] = [];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The files a restore's walk left to write, numbered 0, 1, … in snapshot order, as columns: per
 * file its name, its folder (the path and name parts of each folder are held once), size, mode,
 * owner, mtime, whether it is new, and its chunks as blob numbers of `blobs` (the ids and
 * locations are held once per distinct blob). The rare extras (extended attributes, hardlinks)
 * are kept aside. About 100 bytes a file and 60 a distinct blob: the tree nodes are not kept.
 * The writers take one file at a time as a PlannedFile (file()).
 */
export class PlannedFiles {
  /** Number of files. */
  count = 0;
  /** Bytes of all files. */
  bytes = 0;
  readonly blobs: NeededBlobs;
  private capacity = 0;
  /**
   * The files' names back to back as UTF-16 code units (any string, as it is), file f's from
   * nameStart[f] to nameStart[f + 1]: a name decoded from a tree is a slice of a larger string
   * (the tree's bytes), which a kept name would keep alive (7 MB at 50,000 files).
   */
  private nameCodes = new Uint16Array(0);
  private nameStart = new Float64Array(1);
  private folderOf = new Int32Array(0);
  private size = new Float64Array(0);
  private mode = new Uint16Array(0);
  /** Owners as doubles: a tree may hold any safe integer. */
  private uid = new Float64Array(0);
  private gid = new Float64Array(0);
  private mtime = new BigInt64Array(0);
  /** 1: nothing was at its path when the walk looked. */
  private fresh = new Uint8Array(0);
  private starts = new Int32Array(1);
  private uses = new Int32Array(0);
  private useCount = 0;
  private readonly folderPaths: string[] = [];
  private readonly folderParts: (readonly string[])[] = [];
  private readonly folderNumbers = new Map<string, number>();
  private readonly xattrs = new Map<number, readonly Xattr[]>();
  private readonly links = new Map<number, PlannedLink[]>();
  /** Mtimes a signed 64-bit integer cannot hold. */
  private readonly farTimes = new Map<number, bigint>();

  constructor(index: Pick<BlobIndex, 'lookup'>) {
    this.blobs = new NeededBlobs(index);
  }

  /**
   * Adds the file `node` (a file with content, every chunk in the index: RangeError otherwise)
   * in the folder at `folderParts` (snapshot path `folderPath`); returns its number.
   */
  add(node: TreeNode, folderParts: readonly string[], folderPath: string, fresh: boolean): number {
    const f = this.count;
    if (f === this.capacity) this.grow();
    const start = this.useCount;
    try {
      for (const id of node.content ?? []) {
        if (this.useCount === this.uses.length) this.uses = resized(this.uses, grownCapacity(this.uses.length, this.useCount + 1));
        this.uses[this.useCount] = this.blobs.add(id);
        this.useCount += 1;
      }
    } catch (error) {
      this.useCount = start;
      throw error;
    }
    this.count += 1;
    this.starts[f + 1] = this.useCount;
    let folder = this.folderNumbers.get(folderPath);
    if (folder === undefined) {
      folder = this.folderPaths.length;
      this.folderPaths.push(folderPath);
      this.folderParts.push(folderParts);
      this.folderNumbers.set(folderPath, folder);
    }
    this.addName(f, node.name);
    this.folderOf[f] = folder;
    this.size[f] = node.size;
    this.bytes += node.size;
    this.mode[f] = node.mode;
    this.uid[f] = node.uid;
    this.gid[f] = node.gid;
    if (node.mtimeNs >= INT64_MIN && node.mtimeNs <= INT64_MAX) this.mtime[f] = node.mtimeNs;
    else this.farTimes.set(f, node.mtimeNs);
    this.fresh[f] = fresh ? 1 : 0;
    if (node.xattrs !== undefined) this.xattrs.set(f, node.xattrs);
    return f;
  }

  /** Adds `link` as another name of file `f` (made as a hardlink once f is written). */
  addLink(f: number, link: PlannedLink): void {
    const links = this.links.get(f);
    if (links === undefined) this.links.set(f, [link]);
    else links.push(link);
  }

  /** File `f` as the writers take it (made anew on each call: keep it only while writing the file). */
  file(f: number): PlannedFile {
    const folder = this.folderOf[f]!;
    const name = this.nameOf(f);
    const folderPath = this.folderPaths[folder]!;
    return {
      parts: [...this.folderParts[folder]!, name],
      path: folderPath === '' ? name : `${folderPath}/${name}`,
      size: this.size[f]!,
      metadata: { mode: this.mode[f]!, mtimeNs: this.farTimes.get(f) ?? this.mtime[f]!, uid: this.uid[f]!, gid: this.gid[f]! },
      xattrs: this.xattrs.get(f),
      links: this.links.get(f) ?? NO_LINKS,
      fresh: this.fresh[f] === 1,
    };
  }

  /** The snapshot path of file `f`. */
  path(f: number): string {
    const folderPath = this.folderPaths[this.folderOf[f]!]!;
    const name = this.nameOf(f);
    return folderPath === '' ? name : `${folderPath}/${name}`;
  }

  /** The name of file `f` (a new string on each call). */
  nameOf(f: number): string {
    return fromCodes(this.nameCodes, this.nameStart[f]!, this.nameStart[f + 1]!);
  }

  private addName(f: number, name: string): void {
    const start = this.nameStart[f]!;
    const end = start + name.length;
    if (end > this.nameCodes.length) this.nameCodes = resized(this.nameCodes, grownCapacity(this.nameCodes.length, end));
    for (let i = 0; i < name.length; i += 1) this.nameCodes[start + i] = name.charCodeAt(i);
    this.nameStart[f + 1] = end;
  }

  /** The size of file `f`. */
  sizeOf(f: number): number {
    return this.size[f]!;
  }

  /** The chunk ids of file `f`, in order (views into the blob table). */
  contentIds(f: number): Id[] {
    const ids: Id[] = [];
    for (let u = this.starts[f]!; u < this.starts[f + 1]!; u += 1) ids.push(this.blobs.id(this.uses[u]!));
    return ids;
  }

  /** The chunks of every file as blob numbers (views: valid until a file is added). */
  contents(): FileContents {
    return { useStart: this.starts.subarray(0, this.count + 1), useBlob: this.uses.subarray(0, this.useCount) };
  }

  private grow(): void {
    this.capacity = grownCapacity(this.capacity, this.count + 1);
    this.folderOf = resized(this.folderOf, this.capacity);
    this.size = resized(this.size, this.capacity);
    this.mode = resized(this.mode, this.capacity);
    this.uid = resized(this.uid, this.capacity);
    this.gid = resized(this.gid, this.capacity);
    this.mtime = resized(this.mtime, this.capacity);
    this.fresh = resized(this.fresh, this.capacity);
    this.starts = resized(this.starts, this.capacity + 1);
    this.nameStart = resized(this.nameStart, this.capacity + 1);
  }
}

/** The string of the UTF-16 code units codes[start .. end) (a flat string of its own). */
export function fromCodes(codes: Uint16Array, start: number, end: number): string {
  // In pieces: a call takes a bounded number of arguments.
  let out = '';
  for (let at = start; at < end; at += 4096) out += String.fromCharCode.apply(null, codes.subarray(at, Math.min(end, at + 4096)) as unknown as number[]);
  return out;
}

/** A flat copy of `text` that shares no memory with it (a slice of a tree's bytes would keep them alive). */
export function ownString(text: string): string {
  const codes = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i += 1) codes[i] = text.charCodeAt(i);
  return fromCodes(codes, 0, codes.length);
}
