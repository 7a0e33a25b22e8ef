import { once } from 'node:events';
import { holdsRawBytes, lazyModule, nameToBytes, wellFormedText } from '@cairn/core';
import type { Xattr } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import type { Header } from 'tar-stream';
import type { ArchiveEntry, ArchiveWriter } from './archive-entry.js';
import { dateOfNs } from './archive-entry.js';

/** A header as tar-stream's pack takes it, with the pax header's records. */
type Headers = Partial<Omit<Header, 'type'>> & { name: string; type?: Header['type'] | 'pax-header'; pax?: Record<string, string> };

/** tar-stream, loaded when a tar is first written. */
const tarStream = lazyModule<typeof import('tar-stream')>(import.meta.url, 'tar-stream');

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
/**
 * The prefix of cairn's own pax records (a vendor's keywords, which other readers ignore): a
 * name, link target or attribute value whose bytes are not UTF-8, in hex.
 */
const HEX = 'CAIRN.hex.';
/** The largest id the ustar header's 6 octal digits hold; a larger one goes into the pax header. */
const USTAR_MAX_ID = 0o777777;

/**
 * A tar writer (tar-stream): POSIX ustar headers, with a pax header where ustar cannot hold an
 * entry: a long or non-ASCII name, a time finer than a second, extended attributes
 * (`SCHILY.xattr.*`, as GNU tar and bsdtar write them), a large owner id. A name, link target or
 * attribute value whose bytes are not UTF-8 goes into a pax header of its own with
 * `hdrcharset=BINARY`, so GNU tar recreates the exact bytes.
 */
export function createTarWriter(): ArchiveWriter {
  const pack = tarStream().pack();
  const entry = async (header: Headers, data?: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> => {
    let done!: (error?: Error | null) => void;
    const written = new Promise<void>((resolve, reject) => {
      done = (error) => (error ? reject(error) : resolve());
    });
    const sink = pack.entry(header as Parameters<typeof pack.entry>[0], (error?: Error | null) => done(error));
    if (data instanceof Uint8Array) {
      sink.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    } else if (data !== undefined) {
      for await (const chunk of data) {
        if (!sink.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
      }
      (sink as unknown as { end(): void }).end();
    } else {
      (sink as unknown as { end(): void }).end();
    }
    await written;
  };
  return {
    output: pack as unknown as AsyncIterable<Uint8Array>,
    async add(item) {
      const base = headerOf(item);
      if (base === null) return;
      const { header, binary } = base;
      if (binary !== null) {
        // tar-stream takes no body for a pax header entry: it writes the header, and the records
        // (padded to whole blocks, so it adds no padding of its own) follow it straight away.
        const paxHeader = { name: placeholder(`PaxHeaders/${item.name}`), type: 'pax-header', size: binary.length, mtime: header.mtime ?? new Date(0) };
        // Its sink is left open: ending it would count the records as missing.
        await new Promise<void>((resolve, reject) => {
          pack.entry(paxHeader as Parameters<typeof pack.entry>[0], (error?: Error | null) => (error ? reject(error) : resolve()));
        });
        pack.push(Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength));
      }
      await entry(header, item.linkTo === undefined && item.node.type === 'file' ? item.content?.() : undefined);
    },
    async finish() {
      pack.finalize();
    },
    destroy(error) {
      pack.destroy(error);
    },
  };
}

/** The tar header of an entry, with the bytes of its own pax header when a name or value is not UTF-8; null for a socket (tar has no type for it). */
function headerOf(item: ArchiveEntry): { header: Headers; binary: Uint8Array | null } | null {
  const node = item.node;
  const type = tarType(node, item.linkTo !== undefined);
  if (type === null) return null;
  const linkname = item.linkTo ?? (node.type === 'symlink' ? node.linkTarget ?? '' : undefined);
  const records: [string, string | Uint8Array][] = [];
  const fraction = node.mtimeNs % 1_000_000_000n;
  if (fraction !== 0n) records.push(['mtime', paxTime(node.mtimeNs)]);
  if (node.uid > USTAR_MAX_ID) records.push(['uid', String(node.uid)]);
  if (node.gid > USTAR_MAX_ID) records.push(['gid', String(node.gid)]);
  for (const xattr of node.xattrs ?? []) {
    const value = xattrValue(xattr);
    records.push([`SCHILY.xattr.${xattr.name}`, value]);
    if (typeof value !== 'string') records.push([`${HEX}xattr.${xattr.name}`, hex(value)]);
  }
  const raw = holdsRawBytes(item.name) || (linkname !== undefined && holdsRawBytes(linkname)) || records.some(([key, value]) => typeof value !== 'string' || holdsRawBytes(key));
  // A folder's name ends with '/' (what tar -t shows, and how old readers tell a folder).
  const name = node.type === 'dir' && item.linkTo === undefined ? `${item.name}/` : item.name;
  const header: Headers = {
    name: raw ? placeholder(name) : name,
    mode: node.mode & 0o7777,
    uid: Math.min(node.uid, USTAR_MAX_ID),
    gid: Math.min(node.gid, USTAR_MAX_ID),
    size: type === 'file' ? node.size : 0,
    mtime: dateOfNs(node.mtimeNs),
    type,
    ...(linkname === undefined ? {} : { linkname: raw ? placeholder(linkname) : linkname }),
    ...(node.type === 'chardev' || node.type === 'blockdev' ? { devmajor: major(node.rdev ?? 0), devminor: minor(node.rdev ?? 0) } : {}),
  };
  if (raw) {
    records.unshift(['hdrcharset', 'BINARY'], ['path', nameToBytes(name)], ...(linkname === undefined ? [] : [['linkpath', nameToBytes(linkname)] as [string, Uint8Array]]));
    // The same bytes again as text, for readers that decode every pax value as UTF-8 (cairn import's).
    records.push([`${HEX}path`, hex(nameToBytes(name))], ...(linkname === undefined ? [] : [[`${HEX}linkpath`, hex(nameToBytes(linkname))] as [string, string]]));
    return { header, binary: paxBytes(records) };
  }
  if (records.length > 0) header.pax = Object.fromEntries(records.map(([key, value]) => [key, String(value)]));
  return { header, binary: null };
}

function tarType(node: TreeNode, hardlink: boolean): Headers['type'] | null {
  if (hardlink) return 'link';
  switch (node.type) {
    case 'file': return 'file';
    case 'dir': return 'directory';
    case 'symlink': return 'symlink';
    case 'fifo': return 'fifo';
    case 'chardev': return 'character-device';
    case 'blockdev': return 'block-device';
    default: return null;
  }
}

/** An attribute's value as pax text when it is UTF-8, else its bytes (which make the header binary). */
function xattrValue(xattr: Xattr): string | Uint8Array {
  try {
    return strictUtf8.decode(xattr.value);
  } catch {
    return xattr.value;
  }
}

/** A pax time: seconds since 1970 with up to nine decimals ("1700000000.123456789", "-1.5"). */
function paxTime(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  const fraction = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${sign}${abs / 1_000_000_000n}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * pax extended header records ("<length> <key>=<value>\n", the length counting itself) as bytes,
 * padded with a `comment` record (which readers ignore) to a whole number of 512-byte blocks.
 */
function paxBytes(records: readonly (readonly [string, string | Uint8Array])[]): Uint8Array {
  const parts = records.map(([key, value]) => paxRecord(key, typeof value === 'string' ? nameToBytes(value) : value));
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  let pad = (512 - (length % 512)) % 512;
  if (pad > 0 && pad < 16) pad += 512;
  if (pad > 0) parts.push(paxRecord('comment', new Uint8Array(pad - String(pad).length - ' comment=\n'.length).fill(0x2e)));
  return concat(parts);
}

function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const body = concat([encoder.encode(` ${key}=`), value, encoder.encode('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return concat([encoder.encode(String(length)), body]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An ASCII stand-in of at most 100 bytes for the ustar field of a name a pax header carries (what a reader without pax shows). */
function placeholder(name: string): string {
  // eslint-disable-next-line no-control-regex
  const ascii = wellFormedText(name).replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= 100 ? ascii : ascii.slice(-100);
}

/** The major and minor numbers of a Linux device number (glibc's gnu_dev_major/minor). */
function major(rdev: number): number {
  const dev = BigInt(rdev);
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}

function minor(rdev: number): number {
  const dev = BigInt(rdev);
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
