import { CairnError, compareNames, wellFormedText } from '@cairn/core';
import type { EntryStat, NodeType, Xattr } from '@cairn/core';

/** Where a regular file's bytes are: `length` bytes at `offset` of the data file, or an opener of its own (a zip entry). */
export type ArchiveData = { readonly offset: number } | { readonly open: () => Promise<AsyncIterable<Uint8Array>> };

/** One entry of an archive as its header says, before it is checked. */
export interface RawArchiveEntry {
  /** The name as stored (raw bytes held as U+DC80–U+DCFF). */
  readonly name: string;
  readonly type: NodeType | 'hardlink';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs?: bigint;
  readonly rdev?: number;
  /** A symlink's target, or the name a hardlink repeats. */
  readonly linkname?: string;
  readonly xattrs?: readonly Xattr[];
  readonly data?: ArchiveData;
}

/** An entry of the index: its metadata (shared by every name of a hardlinked file) and, for a folder, its entries. */
export interface IndexedEntry {
  stat: EntryStat;
  linkTarget?: string;
  xattrs?: readonly Xattr[];
  data?: ArchiveData;
  children?: Map<string, IndexedEntry>;
}

/** Options of the index. */
export interface ArchiveIndexOptions {
  /** Keep symlinks whose target is an absolute path (refused by default: they point outside the archive). */
  readonly allowAbsoluteSymlinks?: boolean;
  /** The mtime of folders the archive does not list itself (default: now). */
  readonly folderTime?: Date;
}

/**
 * The entries of an archive as a tree, built entry by entry while the archive is read once. A
 * name that is absolute or holds "..", a hardlink to anything but a file listed before it, and
 * a symlink whose target leaves the archive's root (or is absolute, unless allowed) are refused
 * with ERR_FORMAT naming the entry: an archive made to write outside where it is unpacked.
 */
export class ArchiveIndex {
  readonly root: IndexedEntry;
  private nextIno = 1n;
  private readonly folderStat: Omit<EntryStat, 'ino'>;
  entries = 0;

  constructor(private readonly where: string, private readonly options: ArchiveIndexOptions = {}) {
    const ns = BigInt((options.folderTime ?? new Date()).getTime()) * 1_000_000n;
    this.folderStat = { type: 'dir', mode: 0o755, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, size: 0, mtimeNs: ns, ctimeNs: ns, dev: 0n, nlink: 2, rdev: 0 };
    this.root = { stat: { ...this.folderStat, ino: this.ino() }, children: new Map() };
  }

  /** Adds one entry of the archive (in archive order: a later entry of the same name replaces an earlier one, as tar -x does). */
  add(raw: RawArchiveEntry): void {
    const parts = this.check(raw.name, raw.name, 'its name');
    this.entries += 1;
    if (raw.type === 'hardlink') {
      const target = this.check(raw.name, raw.linkname ?? '', 'the file it links to');
      const existing = this.find(target);
      if (existing === undefined || existing.stat.type !== 'file') {
        throw this.refuse(raw.name, `a hardlink to ${JSON.stringify(wellFormedText(raw.linkname ?? ''))}, which is not a file listed before it`);
      }
      existing.stat = { ...existing.stat, nlink: existing.stat.nlink + 1 };
      this.place(parts, existing, raw.name);
      return;
    }
    if (raw.type === 'symlink') this.checkSymlink(raw.name, parts, raw.linkname ?? '');
    const ctimeNs = raw.ctimeNs ?? raw.mtimeNs;
    const stat: EntryStat = {
      type: raw.type, mode: raw.mode & 0o7777, uid: raw.uid, gid: raw.gid, size: raw.type === 'file' ? raw.size : 0,
      mtimeNs: raw.mtimeNs, ctimeNs, ino: this.ino(), dev: 0n, nlink: raw.type === 'dir' ? 2 : 1, rdev: raw.rdev ?? 0,
    };
    if (parts.length === 0) {
      if (raw.type !== 'dir') throw this.refuse(raw.name, `the archive's root is a ${raw.type}, not a folder`);
      this.root.stat = stat;
      if (raw.xattrs !== undefined) this.root.xattrs = raw.xattrs;
      return;
    }
    const entry: IndexedEntry = {
      stat,
      ...(raw.type === 'symlink' ? { linkTarget: raw.linkname ?? '' } : {}),
      ...(raw.xattrs === undefined || raw.xattrs.length === 0 ? {} : { xattrs: raw.xattrs }),
      ...(raw.type === 'file' && raw.data !== undefined ? { data: raw.data } : {}),
    };
    this.place(parts, entry, raw.name);
  }

  /** The entry at `parts` below the root, if any. */
  find(parts: readonly string[]): IndexedEntry | undefined {
    let at: IndexedEntry | undefined = this.root;
    for (const part of parts) at = at?.children?.get(part);
    return at;
  }

  /** The names in a folder, sorted by their bytes. */
  static names(dir: IndexedEntry): string[] {
    return [...(dir.children?.keys() ?? [])].sort(compareNames);
  }

  private place(parts: readonly string[], entry: IndexedEntry, name: string): void {
    let dir = this.root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.children!.get(part);
      if (next === undefined) {
        next = { stat: { ...this.folderStat, ino: this.ino() }, children: new Map() };
        dir.children!.set(part, next);
      } else if (next.children === undefined) {
        throw this.refuse(name, `${JSON.stringify(wellFormedText(part))} on its way is a ${next.stat.type} in the archive, not a folder`);
      }
      dir = next;
    }
    const last = parts[parts.length - 1]!;
    const before = dir.children!.get(last);
    if (before?.children !== undefined) {
      // A folder listed again (or after its entries): its metadata is the last listing's, its entries stay.
      if (entry.stat.type !== 'dir') throw this.refuse(name, 'a folder listed before under the same name is now another type');
      before.stat = { ...entry.stat, ino: before.stat.ino };
      if (entry.xattrs !== undefined) before.xattrs = entry.xattrs;
      return;
    }
    dir.children!.set(last, entry.stat.type === 'dir' ? { ...entry, children: new Map() } : entry);
  }

  /** The parts of a name in the archive ("./a/b/" is ["a", "b"]); ERR_FORMAT for an absolute name or one with "..". */
  private check(entry: string, name: string, what: string): string[] {
    if (name.startsWith('/')) throw this.refuse(entry, `${what} is an absolute path (${JSON.stringify(wellFormedText(name))})`);
    const parts = name.split('/').filter((part) => part !== '' && part !== '.');
    if (parts.includes('..')) throw this.refuse(entry, `${what} leaves the archive's folder through ".." (${JSON.stringify(wellFormedText(name))})`);
    if (name.includes('\0')) throw this.refuse(entry, `${what} holds a NUL byte`);
    return parts;
  }

  /** A symlink's target must stay below the archive's root, resolved from the link's folder. */
  private checkSymlink(entry: string, parts: readonly string[], target: string): void {
    if (target === '') throw this.refuse(entry, 'a symlink with an empty target');
    if (target.startsWith('/')) {
      if (this.options.allowAbsoluteSymlinks === true) return;
      throw this.refuse(entry, `a symlink to the absolute path ${JSON.stringify(wellFormedText(target))}, outside the archive`, 'import it with --allow-absolute-symlinks to keep such links as they are');
    }
    let depth = parts.length - 1;
    for (const part of target.split('/')) {
      if (part === '..') depth -= 1;
      else if (part !== '' && part !== '.') depth += 1;
      if (depth < 0) throw this.refuse(entry, `a symlink to ${JSON.stringify(wellFormedText(target))}, which leaves the archive's folder`);
    }
  }

  private refuse(entry: string, why: string, hint?: string): CairnError {
    return new CairnError('ERR_FORMAT', `${this.where}: refusing the entry ${JSON.stringify(wellFormedText(entry))}: ${why}; nothing was imported`, {
      hint: hint ?? 'the archive is damaged or made to write outside the folder it is unpacked in',
    });
  }

  private ino(): bigint {
    const ino = this.nextIno;
    this.nextIno += 1n;
    return ino;
  }
}
