import { closeSync, createReadStream, openSync, readSync, writeSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transform } from 'node:stream';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CairnError, fromSystemError, wellFormedText } from '@cairn/core';
import type { EntryStat, Source, SourceFile } from '@cairn/core';
import { ArchiveIndex } from './archive-index.js';
import type { ArchiveData, ArchiveIndexOptions, IndexedEntry } from './archive-index.js';
import { readTar, readZip } from './archive-read.js';

/** The archive formats an ArchiveSource reads, told apart by their first bytes (tar.gz through node's zlib). */
export type ArchiveKind = 'tar' | 'tar.gz' | 'tar.zst' | 'zip';

/** Options of openArchiveSource. */
export interface ArchiveSourceOptions extends ArchiveIndexOptions {
  /** The folder the archive's root is recorded as ("/srv/www"; default "/": the archive's root is the snapshot's). */
  readonly prefix?: string;
  /** Where bytes that cannot be read twice are kept meanwhile (default: the OS's temporary folder). */
  readonly tempDir?: string;
  /** A zstd decompressor, for tar.zst (the caller wires one: @cairn/pack's createZstdDecompressStream). */
  readonly decompress?: () => Transform;
  /** Stops the reading (ERR_ABORTED) and removes what it kept. */
  readonly signal?: AbortSignal;
}

/** A Source of an archive's entries, read once; close() frees what it kept. */
export interface ArchiveSource extends Source {
  readonly kind: ArchiveKind;
  /** What a backup of the whole archive names: the prefix ("/" without one). */
  readonly paths: readonly string[];
  /** Entries the archive listed. */
  readonly entries: number;
  close(): Promise<void>;
}

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const ZIP_MAGIC = [0x50, 0x4b];
const GZIP_MAGIC = [0x1f, 0x8b];
/** Bytes kept in the spool at a time before a write (tar entries come in pieces of the input's size). */
const SPOOL_BUFFER = 1 << 20;

/**
 * Reads a tar, tar.gz, tar.zst or zip archive (a file, or `input` as a stream: standard input) once,
 * checking every entry before anything is stored (ArchiveIndex refuses a hostile one by name),
 * and serves its entries as a Source: folders, files, symlinks, hardlinks (one inode), devices,
 * fifos, with the archive's modes, owners, mtimes and (tar) extended attributes. Memory holds the
 * entries' metadata, never their bytes: a plain tar file is read again by position, a zip entry
 * by its own stream; a stream or a compressed tar keeps the files' bytes in a temporary file meanwhile.
 * Sizes and mtimes in an archive say nothing of a change: `metadataShowsChanges` is false, so
 * a backup reads every file and deduplicates by content.
 */
export async function openArchiveSource(input: string | AsyncIterable<Uint8Array>, options: ArchiveSourceOptions = {}): Promise<ArchiveSource> {
  const where = typeof input === 'string' ? `the archive ${input}` : 'the archive on standard input';
  const prefix = (options.prefix ?? '/').split('/').filter((part) => part !== '' && part !== '.');
  if (prefix.includes('..')) throw new RangeError(`an archive's prefix must not hold "..": ${JSON.stringify(options.prefix)}`);
  const index = new ArchiveIndex(where, options);
  const cleanup: (() => Promise<void> | void)[] = [];
  let dataFd: number | null = null;
  let kind: ArchiveKind;
  const spoolDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'cairn-import-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  try {
    const { head, stream } = await peek(input, where);
    kind = startsWith(head, ZSTD_MAGIC) ? 'tar.zst' : startsWith(head, GZIP_MAGIC) ? 'tar.gz' : startsWith(head, ZIP_MAGIC) ? 'zip' : 'tar';
    if (kind === 'zip') {
      let file = typeof input === 'string' ? input : null;
      if (file === null) {
        // A zip's directory is at its end: a stream is kept whole first.
        file = join(await spoolDir(), 'archive.zip');
        await copyToFile(stream, file, where);
      }
      const zip = await readZip(file, index, where, options.signal);
      cleanup.push(() => zip.close());
    } else if (kind === 'tar' && typeof input === 'string') {
      await readTar(stream, index, where, {}, options.signal);
      dataFd = openSync(input, 'r');
    } else {
      let tar = stream;
      if (kind !== 'tar') {
        if (kind === 'tar.zst' && options.decompress === undefined) throw new CairnError('ERR_UNSUPPORTED', `${where} is compressed with zstd, and no decompressor was given`);
        const decompress = kind === 'tar.gz' ? createGunzip() : options.decompress!();
        pipeline(Readable.from(stream), decompress, () => undefined);
        tar = decompress;
      }
      const spool = join(await spoolDir(), 'files');
      const fd = openSync(spool, 'w+');
      dataFd = fd;
      let end = 0;
      await readTar(tar, index, where, { keep: (bytes) => keep(fd, bytes, end, (next) => (end = next), spool) }, options.signal);
    }
  } catch (error) {
    if (dataFd !== null) closeSync(dataFd);
    for (const step of cleanup.reverse()) await step();
    throw error;
  }
  const fd = dataFd;
  return createSource(index, prefix, kind, fd, async () => {
    if (fd !== null) closeSync(fd);
    for (const step of cleanup.reverse()) await step();
  });
}

function createSource(index: ArchiveIndex, prefix: readonly string[], kind: ArchiveKind, fd: number | null, close: () => Promise<void>): ArchiveSource {
  const parts = (path: string): string[] => path.split('/').filter((part) => part !== '' && part !== '.');
  const lookup = (path: string): IndexedEntry => {
    const at = parts(path);
    const shared = Math.min(at.length, prefix.length);
    for (let i = 0; i < shared; i += 1) if (at[i] !== prefix[i]) throw missing(path);
    if (at.length < prefix.length) {
      // A folder on the way to the prefix: it holds only the next part.
      return { stat: { ...index.root.stat, ino: BigInt(-1 - at.length) }, children: new Map([[prefix[at.length]!, index.root]]) };
    }
    const found = index.find(at.slice(prefix.length));
    if (found === undefined) throw missing(path);
    return found;
  };
  const source: ArchiveSource = {
    name: `archive (${kind})`,
    kind,
    paths: [`/${prefix.join('/')}`],
    entries: index.entries,
    metadataShowsChanges: false,
    resolve: (path) => `/${parts(path).join('/')}`,
    join: (dir, name) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`),
    async lstat(path) {
      const entry = lookup(path);
      if (entry.children === undefined) return entry.stat;
      // A folder's link count, as a filesystem gives it: its own two, and one per folder in it.
      let nlink = 2;
      for (const child of entry.children.values()) if (child.children !== undefined) nlink += 1;
      return { ...entry.stat, nlink };
    },
    async readdir(path) {
      const entry = lookup(path);
      if (entry.children === undefined) throw new CairnError('ERR_NOT_FOUND', `${wellFormedText(path)} is not a folder of the archive`);
      return ArchiveIndex.names(entry);
    },
    async readlink(path) {
      const entry = lookup(path);
      if (entry.linkTarget === undefined) throw new CairnError('ERR_NOT_FOUND', `${wellFormedText(path)} is not a symlink of the archive`);
      return entry.linkTarget;
    },
    async openFile(path) {
      const entry = lookup(path);
      if (entry.stat.type !== 'file') throw new CairnError('ERR_NOT_FOUND', `${wellFormedText(path)} is not a file of the archive`);
      return archiveFile(entry.stat, entry.data, fd, path);
    },
    xattrs: async (path) => lookup(path).xattrs ?? [],
    close,
  };
  return source;
}

function missing(path: string): CairnError {
  return new CairnError('ERR_NOT_FOUND', `${wellFormedText(path)} is not in the archive`);
}

/** A file of the archive: its bytes by position from the data file, or from its own stream (zip). */
function archiveFile(stat: EntryStat, data: ArchiveData | undefined, fd: number | null, path: string): SourceFile {
  const size = stat.size;
  const readInto = (buffer: Uint8Array, position: number): Promise<number> => {
    if (data === undefined || !('offset' in data) || fd === null || position >= size) return Promise.resolve(0);
    try {
      return Promise.resolve(readSync(fd, buffer, 0, Math.min(buffer.length, size - position), data.offset + position));
    } catch (error) {
      return Promise.reject(fromSystemError(error, path));
    }
  };
  if (data !== undefined && 'open' in data) {
    return {
      stat: async () => stat,
      async *chunks() {
        try {
          for await (const piece of await data.open()) yield piece;
        } catch (error) {
          throw error instanceof CairnError ? error : new CairnError('ERR_FORMAT', `${wellFormedText(path)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      },
      close: async () => undefined,
    };
  }
  return {
    stat: async () => stat,
    readInto,
    async *chunks(bufferSize) {
      for (let position = 0; ;) {
        const buffer = new Uint8Array(Math.max(1, Math.min(bufferSize, size - position)));
        const n = await readInto(buffer, position);
        if (n === 0) return;
        position += n;
        yield buffer.subarray(0, n);
      }
    },
    close: async () => undefined,
  };
}

/** The stream's first bytes (to tell the format) and the whole stream, those bytes included. */
async function peek(input: string | AsyncIterable<Uint8Array>, where: string): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  if (typeof input === 'string') {
    try {
      const handle = await open(input, 'r');
      const head = new Uint8Array(4);
      const { bytesRead } = await handle.read(head, 0, 4, 0);
      await handle.close();
      return { head: head.subarray(0, bytesRead), stream: createReadStream(input, { highWaterMark: SPOOL_BUFFER }) };
    } catch (error) {
      throw fromSystemError(error, input);
    }
  }
  const iterator = input[Symbol.asyncIterator]();
  const first: Uint8Array[] = [];
  let length = 0;
  while (length < 4) {
    const next = await iterator.next();
    if (next.done === true) break;
    first.push(next.value);
    length += next.value.byteLength;
  }
  const head = Buffer.concat(first);
  if (head.length === 0) throw new CairnError('ERR_FORMAT', `${where} is empty`);
  return {
    head,
    stream: (async function* () {
      yield head;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    })(),
  };
}

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((byte, i) => bytes[i] === byte);
}

/** Appends `bytes` to the spool at `end`; returns where they start. */
async function keep(fd: number, bytes: AsyncIterable<Uint8Array>, end: number, moved: (end: number) => void, spool: string): Promise<number> {
  const start = end;
  let at = end;
  try {
    for await (const piece of bytes) {
      for (let done = 0; done < piece.byteLength;) done += writeSync(fd, piece, done, piece.byteLength - done, at + done);
      at += piece.byteLength;
    }
  } catch (error) {
    throw fromSystemError(error, spool);
  }
  moved(at);
  return start;
}

async function copyToFile(stream: AsyncIterable<Uint8Array>, file: string, where: string): Promise<void> {
  const fd = openSync(file, 'w');
  try {
    let at = 0;
    for await (const piece of stream) {
      for (let done = 0; done < piece.byteLength;) done += writeSync(fd, piece, done, piece.byteLength - done, at + done);
      at += piece.byteLength;
    }
  } catch (error) {
    throw fromSystemError(error, where);
  } finally {
    closeSync(fd);
  }
}
