import { CairnError, holdsRawBytes, lazyModule, nameToBytes, wellFormedText } from '@cairn/core';
import type { Xattr } from '@cairn/core';
import type { TreeNode } from '@cairn/index';
import type { Header } from 'tar/header';
import type { ArchiveEntry, ArchiveWriter } from './archive-entry.js';
import { OutputQueue } from './output-queue.js';

/** node-tar's header encoder, loaded when a tar is first written. */
const nodeTar = lazyModule<typeof import('tar/header')>(import.meta.url, 'tar/header');

/** A header's entry type, as node-tar names it. */
type TarType = NonNullable<Header['type']>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
/**
 * The prefix of cairn's own pax records (a vendor's keywords, which other readers ignore): a
 * name, link target or attribute value whose bytes are not UTF-8, in hex.
 */
const HEX = 'CAIRN.hex.';
/** The largest id the ustar header's 6 octal digits hold; a larger one goes into the pax header. */
const USTAR_MAX_ID = 0o777777;
/** The largest size the ustar header's 11 octal digits hold (8 GiB); a larger one goes into the pax header. */
const USTAR_MAX_SIZE = 0o77777777777;
/** The output is made in buffers of this size: headers and small files are copied in, so writes are large. */
const BATCH = 1024 * 1024;
/** Bytes queued for the reader before add() waits (backpressure). */
const QUEUED = 8 * 1024 * 1024;
const BLOCK = 512;

/** Options of createTarWriter. */
export interface TarWriterOptions {
  /**
   * Reuse the output's buffers: a chunk is valid only until the next one is asked for (for a
   * reader that writes each chunk, and waits for the write, before it asks for the next).
   */
  readonly reuse?: boolean;
}

/** A pax record: its key and value (text, or bytes that are not UTF-8). */
type PaxRecord = readonly [string, string | Uint8Array];

/**
 * A tar writer: POSIX ustar headers (node-tar's header encoder), with a pax extended header
 * only where ustar cannot hold an entry: a name or link target that is longer than ustar's
 * fields (a name split into ustar's prefix and name needs none) or not ASCII, a time finer than
 * a second or before 1970, extended attributes (`SCHILY.xattr.*`, as GNU tar and bsdtar write
 * them), a large owner id or size. A name, link target or attribute value whose bytes are not
 * UTF-8 goes into a pax header with `hdrcharset=BINARY`, so GNU tar recreates the exact bytes.
 * Everything is copied into 1 MiB buffers, which are the output's chunks: few, large writes.
 */
export function createTarWriter(options: TarWriterOptions = {}): ArchiveWriter {
  /** Batches the reader is done with (options.reuse), to be filled again. */
  const spare: Buffer<ArrayBuffer>[] = [];
  const out = new OutputQueue(QUEUED, options.reuse === true ? (chunk) => spare.push(Buffer.from(chunk.buffer as ArrayBuffer, 0, BATCH)) : undefined);
  const header = new (nodeTar().Header)();
  let batch = Buffer.allocUnsafe(BATCH);
  let used = 0;
  const flush = (): void => {
    if (used === 0) return;
    out.push(batch.subarray(0, used));
    batch = spare.pop() ?? Buffer.allocUnsafe(BATCH);
    used = 0;
  };
  /** Appends `bytes`, copied (a blob's bytes may lie in a buffer the read-ahead reuses). */
  const put = (bytes: Uint8Array): void => {
    let at = 0;
    while (at < bytes.byteLength) {
      const count = Math.min(BATCH - used, bytes.byteLength - at);
      batch.set(at === 0 && count === bytes.byteLength ? bytes : bytes.subarray(at, at + count), used);
      used += count;
      at += count;
      if (used === BATCH) flush();
    }
  };
  const zeros = (count: number): void => {
    if (used + count > BATCH) flush();
    batch.fill(0, used, used + count);
    used += count;
  };
  const pad = (size: number): void => {
    const rest = size % BLOCK;
    if (rest !== 0) zeros(BLOCK - rest);
  };
  const entryBlock = Buffer.alloc(BLOCK);
  const paxBlock = Buffer.alloc(BLOCK);
  /** Writes the pax extended header of `records`, for the entry whose header follows. */
  const writePax = (name: string, mtime: Date, records: readonly PaxRecord[]): void => {
    const body = paxBody(records);
    setFields(header, { name: placeholder(`PaxHeaders/${name}`), type: 'ExtendedHeader', mode: 0o644, uid: 0, gid: 0, size: body.byteLength, mtime });
    header.encode(paxBlock.fill(0), 0);
    put(paxBlock);
    put(body);
    pad(body.byteLength);
  };
  return {
    output: out,
    async add(item) {
      const entry = headerOf(item);
      if (entry === null) return;
      const { fields, records, raw } = entry;
      const name = fields.name;
      const linkname = fields.linkname;
      if (raw) {
        fields.name = placeholder(name);
        if (linkname !== undefined) fields.linkname = placeholder(linkname);
      }
      setFields(header, fields);
      header.encode(entryBlock.fill(0), 0);
      if (header.needPax && !raw) {
        // Too long for ustar's fields (or not ASCII), or a size past 8 GiB: the pax header carries it.
        records.unshift(['path', name], ...(linkname === undefined ? [] : [['linkpath', linkname] as PaxRecord]));
        if (fields.size > USTAR_MAX_SIZE) records.push(['size', String(fields.size)]);
        fields.name = placeholder(name);
        if (linkname !== undefined) fields.linkname = placeholder(linkname);
        fields.size = Math.min(fields.size, USTAR_MAX_SIZE);
        setFields(header, fields);
        header.encode(entryBlock.fill(0), 0);
      }
      if (records.length > 0) writePax(name, fields.mtime, records);
      put(entryBlock);
      if (item.linkTo === undefined && item.node.type === 'file' && item.content !== undefined) {
        let written = 0;
        for await (const chunk of item.content()) {
          written += chunk.byteLength;
          if (written > item.node.size) break;
          put(chunk);
          const room = out.room();
          if (room !== undefined) await room;
        }
        if (written !== item.node.size) {
          throw new CairnError('ERR_INTEGRITY', `${wellFormedText(item.name)}: its blobs hold ${written > item.node.size ? 'more' : written} bytes where its entry records ${item.node.size}`, { hint: 'run `cairn check --read-data` to see what is damaged' });
        }
        pad(written);
      }
      const room = out.room();
      if (room !== undefined) await room;
    },
    async finish() {
      // The end of an archive: two blocks of zeros.
      zeros(2 * BLOCK);
      flush();
      out.end();
    },
    destroy(error) {
      out.fail(error);
    },
  };
}

/** The ustar fields of an entry, before node-tar encodes them. */
interface HeaderFields {
  name: string;
  linkname?: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  devmajor?: number;
  devminor?: number;
}

/** Sets every field of the reused header (nothing from the entry before stays). */
function setFields(header: Header, fields: HeaderFields): void {
  header.path = fields.name;
  header.linkpath = fields.linkname;
  header.type = fields.type;
  header.mode = fields.mode;
  header.uid = fields.uid;
  header.gid = fields.gid;
  header.size = fields.size;
  header.mtime = fields.mtime;
  header.devmaj = fields.devmajor ?? 0;
  header.devmin = fields.devminor ?? 0;
}

/**
 * The ustar fields of an entry and the pax records it needs (times, large ids, attributes; for a
 * name or value that is not UTF-8, the bytes: `raw`); null for a socket (tar has no type for it).
 */
function headerOf(item: ArchiveEntry): { fields: HeaderFields; records: PaxRecord[]; raw: boolean } | null {
  const node = item.node;
  const type = tarType(node, item.linkTo !== undefined);
  if (type === null) return null;
  const linkname = item.linkTo ?? (node.type === 'symlink' ? node.linkTarget ?? '' : undefined);
  const records: PaxRecord[] = [];
  const ns = node.mtimeNs;
  if (ns < 0n || ns % 1_000_000_000n !== 0n) records.push(['mtime', paxTime(ns)]);
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
  const fields: HeaderFields = {
    name,
    type,
    mode: node.mode & 0o7777,
    uid: Math.min(node.uid, USTAR_MAX_ID),
    gid: Math.min(node.gid, USTAR_MAX_ID),
    size: type === 'File' ? node.size : 0,
    // Whole seconds (a time before 1970 is 0 here and exact in the pax header).
    mtime: new Date(ns < 0n ? 0 : Number(ns / 1_000_000_000n) * 1000),
    ...(linkname === undefined ? {} : { linkname }),
    ...(node.type === 'chardev' || node.type === 'blockdev' ? { devmajor: major(node.rdev ?? 0), devminor: minor(node.rdev ?? 0) } : {}),
  };
  if (raw) {
    records.unshift(['hdrcharset', 'BINARY'], ['path', nameToBytes(name)], ...(linkname === undefined ? [] : [['linkpath', nameToBytes(linkname)] as PaxRecord]));
    // The same bytes again as text, for readers that decode every pax value as UTF-8 (cairn import's).
    records.push([`${HEX}path`, hex(nameToBytes(name))], ...(linkname === undefined ? [] : [[`${HEX}linkpath`, hex(nameToBytes(linkname))] as PaxRecord]));
  }
  return { fields, records, raw };
}

function tarType(node: TreeNode, hardlink: boolean): TarType | null {
  if (hardlink) return 'Link';
  switch (node.type) {
    case 'file': return 'File';
    case 'dir': return 'Directory';
    case 'symlink': return 'SymbolicLink';
    case 'fifo': return 'FIFO';
    case 'chardev': return 'CharacterDevice';
    case 'blockdev': return 'BlockDevice';
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

/** pax extended header records ("<length> <key>=<value>\n", the length counting itself) as bytes. */
function paxBody(records: readonly PaxRecord[]): Uint8Array {
  if (records.every(([, value]) => typeof value === 'string')) {
    // The usual case (a time, an attribute or a name in text): one string, one encoding.
    let text = '';
    for (const [key, value] of records) text += textRecord(key, value as string);
    return Buffer.from(text);
  }
  return concat(records.map(([key, value]) => paxRecord(key, typeof value === 'string' ? nameToBytes(value) : value)));
}

/** One record of text: its length in bytes counts the digits of the length too. */
function textRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let length = bytes + 1;
  while (String(length).length + bytes !== length) length = String(length).length + bytes;
  return `${length}${body}`;
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
