import { once } from 'node:events';
import { CairnError, lazyModule, nameFromBytes, wellFormedText } from '@cairn/core';
import type { NodeType, Xattr } from '@cairn/core';
import type { Header } from 'tar-stream';
import type { Entry as ZipEntry, ZipFile } from 'yauzl';
import type { ArchiveIndex, RawArchiveEntry } from './archive-index.js';

/** tar-stream and yauzl, loaded when an archive is first read. */
const tarStream = lazyModule<typeof import('tar-stream')>(import.meta.url, 'tar-stream');
const yauzl = lazyModule<typeof import('yauzl')>(import.meta.url, 'yauzl');

const encoder = new TextEncoder();
/** cairn dump's pax records of bytes that are not UTF-8, in hex (see the tar writer of @cairn/repository). */
const HEX = 'CAIRN.hex.';
/** The longest symlink target read from a zip entry. */
const MAX_ZIP_LINK = 64 * 1024;

/**
 * Reads a tar stream once, adding each entry to `index`. A file's bytes go to `keep` (the spool
 * of a stream that cannot be read again), or are passed over when `offsetOf` places them in the
 * archive file itself (a plain tar read again by position).
 */
export async function readTar(input: AsyncIterable<Uint8Array>, index: ArchiveIndex, where: string, store: {
  readonly keep?: (bytes: AsyncIterable<Uint8Array>) => Promise<number>;
}, signal?: AbortSignal): Promise<void> {
  // latin1 keeps the bytes of a ustar or GNU name (one character per byte) for nameFromBytes.
  const extract = tarStream().extract({ filenameEncoding: 'latin1' } as never);
  const feeding = (async () => {
    try {
      for await (const chunk of input) {
        if (!extract.write(chunk)) await once(extract as unknown as NodeJS.EventEmitter, 'drain');
      }
      (extract as unknown as { end(): void }).end();
    } catch (error) {
      extract.destroy(error as Error);
    }
  })();
  // An interrupt also ends a read that waits for more input (a pipe that stalls).
  const onAbort = (): void => {
    extract.destroy(new CairnError('ERR_ABORTED', `reading ${where} was interrupted; nothing was imported`));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let whole = false;
  try {
    for await (const entry of extract) {
      stopIfAborted(signal, where);
      const header = entry.header;
      const raw = tarEntry(header, where);
      if (raw.type === 'file' && store.keep !== undefined) {
        index.add({ ...raw, data: { offset: await store.keep(entry as unknown as AsyncIterable<Uint8Array>) } });
      } else {
        index.add(raw.type === 'file' ? { ...raw, data: { offset: (entry as unknown as { offset: number }).offset + 512 } } : raw);
        entry.resume();
      }
    }
    whole = true;
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw new CairnError('ERR_FORMAT', `${where} is not a readable tar archive: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    extract.destroy();
    // After a failure the input may be a pipe that never ends: its reader is left to its owner.
    if (whole) await feeding;
  }
}

/** A tar header as an archive entry. */
function tarEntry(header: Header, where: string): RawArchiveEntry {
  const pax = (header.pax ?? {}) as Record<string, string>;
  const binary = pax['hdrcharset'] === 'BINARY';
  const text = (value: string, fromPax: boolean, what: string): string => {
    if (!fromPax) return nameFromBytes(Buffer.from(value, 'latin1'));
    if (binary && value.includes('\uFFFD')) {
      throw new CairnError('ERR_UNSUPPORTED', `${where}: the entry ${JSON.stringify(value)} has a ${what} that is not UTF-8 in a pax header, which this reader cannot keep byte for byte`, {
        hint: 'unpack it with tar -x and back the folder up instead',
      });
    }
    return value;
  };
  // cairn dump writes bytes that are not UTF-8 a second time, in hex: those are exact.
  const exact = (key: string): string | undefined => {
    const value = pax[`${HEX}${key}`];
    return value === undefined ? undefined : nameFromBytes(Buffer.from(value, 'hex'));
  };
  const name = exact('path') ?? text(header.name, pax['path'] !== undefined, 'name');
  const type = tarType(header.type as string, name, where);
  const linkname = header.linkname == null ? undefined : exact('linkpath') ?? text(header.linkname, pax['linkpath'] !== undefined, 'link target');
  const xattrs: Xattr[] = Object.entries(pax)
    .filter(([key]) => key.startsWith('SCHILY.xattr.'))
    .map(([key, value]) => {
      const xattr = key.slice('SCHILY.xattr.'.length);
      const hex = pax[`${HEX}xattr.${xattr}`];
      return { name: xattr, value: hex === undefined ? encoder.encode(value) : Uint8Array.from(Buffer.from(hex, 'hex')) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seconds = BigInt(Math.floor(header.mtime.getTime() / 1000));
  const ctime = pax['ctime'] === undefined ? undefined : paxTime(pax['ctime']);
  return {
    name,
    type,
    mode: header.mode,
    uid: pax['uid'] === undefined ? header.uid : Number(pax['uid']),
    gid: pax['gid'] === undefined ? header.gid : Number(pax['gid']),
    size: header.size,
    mtimeNs: pax['mtime'] === undefined ? seconds * 1_000_000_000n : paxTime(pax['mtime']),
    ...(ctime === undefined ? {} : { ctimeNs: ctime }),
    ...(type === 'chardev' || type === 'blockdev' ? { rdev: makedev(header.devmajor, header.devminor) } : {}),
    ...(linkname === undefined ? {} : { linkname }),
    ...(xattrs.length === 0 ? {} : { xattrs }),
  };
}

function tarType(type: string, name: string, where: string): NodeType | 'hardlink' {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'link':
      return 'hardlink';
    case 'symlink':
      return 'symlink';
    case 'directory':
      return 'dir';
    case 'character-device':
      return 'chardev';
    case 'block-device':
      return 'blockdev';
    case 'fifo':
      return 'fifo';
    default:
      throw new CairnError('ERR_FORMAT', `${where}: the entry ${JSON.stringify(wellFormedText(name))} is a tar entry of type ${JSON.stringify(type)}, which cairn does not import; nothing was imported`);
  }
}

/** A pax time ("1700000000.123456789", "-1.5") as nanoseconds. */
function paxTime(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (match === null) return 0n;
  const ns = BigInt(match[2]!) * 1_000_000_000n + BigInt((match[3] ?? '').slice(0, 9).padEnd(9, '0'));
  return match[1] === '-' ? -ns : ns;
}

/** A Linux device number from its major and minor (glibc's gnu_dev_makedev). */
function makedev(major: number, minor: number): number {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return Number((mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n));
}

/** An open zip file: its entries go into the index; a file's bytes are read from it later, entry by entry. */
export async function readZip(file: string, index: ArchiveIndex, where: string, signal?: AbortSignal): Promise<{ close(): void }> {
  const zip = await new Promise<ZipFile>((resolve, reject) => {
    yauzl().open(file, { lazyEntries: true, decodeStrings: false, autoClose: false }, (error, opened) => (error ? reject(error) : resolve(opened)));
  }).catch((error: unknown) => {
    throw new CairnError('ERR_FORMAT', `${where} is not a readable zip archive: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  const open = (entry: ZipEntry): Promise<AsyncIterable<Uint8Array>> => new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream)));
  });
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  try {
    for (;;) {
      const entry = await new Promise<ZipEntry | null>((resolve, reject) => {
        zip.once('entry', resolve).once('end', () => resolve(null)).once('error', reject);
        zip.readEntry();
      });
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      if (entry === null) break;
      stopIfAborted(signal, where);
      const name = nameFromBytes(entry.fileName as unknown as Buffer);
      const unix = entry.versionMadeBy >> 8 === 3;
      const attributes = unix ? entry.externalFileAttributes >>> 16 : 0;
      const kind = attributes & 0o170000;
      const type: NodeType = name.endsWith('/') || kind === 0o040000 ? 'dir' : kind === 0o120000 ? 'symlink' : 'file';
      const mode = unix && (attributes & 0o7777) !== 0 ? attributes & 0o7777 : type === 'dir' ? 0o755 : 0o644;
      let linkname: string | undefined;
      if (type === 'symlink') {
        const pieces: Uint8Array[] = [];
        let length = 0;
        for await (const piece of await open(entry)) {
          pieces.push(piece);
          length += piece.byteLength;
          if (length > MAX_ZIP_LINK) throw new CairnError('ERR_FORMAT', `${where}: the symlink ${JSON.stringify(wellFormedText(name))} has a target longer than ${MAX_ZIP_LINK} bytes`);
        }
        linkname = nameFromBytes(Buffer.concat(pieces));
      }
      index.add({
        name, type, mode, uid, gid, size: type === 'file' ? entry.uncompressedSize : 0,
        mtimeNs: BigInt(entry.getLastModDate().getTime()) * 1_000_000n,
        ...(linkname === undefined ? {} : { linkname }),
        ...(type === 'file' ? { data: { open: () => open(entry) } } : {}),
      });
    }
  } catch (error) {
    zip.close();
    if (error instanceof CairnError) throw error;
    throw new CairnError('ERR_FORMAT', `${where} is not a readable zip archive: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { close: () => zip.close() };
}

function stopIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted === true) throw new CairnError('ERR_ABORTED', `reading ${where} was interrupted; nothing was imported`);
}
