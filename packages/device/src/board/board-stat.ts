import { CairnError } from '@cairn/core';
import type { EntryStat, NodeType } from '@cairn/core';

const TYPES: ReadonlyMap<number, NodeType> = new Map([
  [0o040000, 'dir'],
  [0o100000, 'file'],
  [0o120000, 'symlink'],
  [0o020000, 'chardev'],
  [0o060000, 'blockdev'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
]);

/**
 * An EntryStat from the helper's `mode size mtime ctime ino` (os.stat fields 0, 6, 8, 9, 1).
 * Times move from the board's epoch to 1970 (`epochOffset` seconds); FAT and littlefs report
 * no permission bits, so a folder gets 0o755 and a file 0o644; uid, gid and dev are 0.
 */
export function parseStatFields(fields: readonly string[], epochOffset: number, path: string): EntryStat {
  const [mode, size, mtime, ctime, ino] = fields.map((field, i) => Number(i === 3 && field === '=' ? fields[2] : field));
  if (fields.length !== 5 || [mode, size, mtime, ctime, ino].some((n) => n === undefined || !Number.isFinite(n))) {
    throw new CairnError('ERR_FORMAT', `the board sent a bad stat for ${path}: ${JSON.stringify(fields.join(' '))}`);
  }
  const bits = mode ?? 0;
  const type = TYPES.get(bits & 0o170000) ?? (bits & 0x4000 ? 'dir' : 'file');
  const permissions = bits & 0o7777 || (type === 'dir' ? 0o755 : 0o644);
  const toNs = (seconds: number): bigint => (seconds > 0 ? BigInt(Math.round((seconds + epochOffset) * 1000)) * 1_000_000n : 0n);
  return {
    type,
    mode: permissions,
    uid: 0,
    gid: 0,
    size: type === 'file' ? (size ?? 0) : 0,
    mtimeNs: toNs(mtime ?? 0),
    ctimeNs: toNs(ctime ?? 0),
    ino: BigInt(Math.max(0, Math.trunc(ino ?? 0))),
    dev: 0n,
    nlink: 1,
    rdev: 0,
  };
}

/** A name as the helper sends it: `=`text, or `%`hex of its UTF-8 (a name holding a line break). */
export function parseName(field: string): string {
  if (field.startsWith('=')) return field.slice(1);
  if (field.startsWith('%') && /^[0-9a-f]*$/.test(field.slice(1))) return Buffer.from(field.slice(1), 'hex').toString('utf8');
  throw new CairnError('ERR_FORMAT', `the board sent a bad entry name: ${JSON.stringify(field.slice(0, 80))}`);
}

/** One entry of a board folder: its stat (and the file's sha256, when asked for), or the errno os.stat raised for it. */
export type BoardEntry =
  | { readonly name: string; readonly stat: EntryStat; readonly digest?: Uint8Array; readonly errno?: undefined }
  | { readonly name: string; readonly stat?: undefined; readonly digest?: undefined; readonly errno: number };

/** Splits a line into its first `count` space-separated fields and the rest (a name may hold spaces). */
export function splitFields(line: string, count: number): { fields: string[]; rest: string } {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const space = line.indexOf(' ', at);
    if (space < 0) throw new CairnError('ERR_FORMAT', `the board sent a short line: ${JSON.stringify(line.slice(0, 120))}`);
    fields.push(line.slice(at, space));
    at = space + 1;
  }
  return { fields, rest: line.slice(at) };
}

/** A digest field of a listing: 44 characters of base64 or 64 hex digits; undefined for `-`. */
function parseDigest(field: string | undefined, line: string): Uint8Array | undefined {
  if (field === undefined || field === '-') return undefined;
  const digest = field.length === 64 ? Buffer.from(field, 'hex') : Buffer.from(field, 'base64');
  if (digest.byteLength !== 32) throw new CairnError('ERR_FORMAT', `the board sent a bad sha256 in ${JSON.stringify(line.slice(0, 160))}`);
  return digest;
}

/** Reads the helper's listing (`>`folder lines, each followed by its entries) into folder -> entries; `digests`: each entry has a sha256 field. */
export function parseListing(lines: readonly string[], epochOffset: number, digests = false): Map<string, BoardEntry[]> {
  const folders = new Map<string, BoardEntry[]>();
  let current: BoardEntry[] | undefined;
  let folder = '';
  for (const line of lines) {
    if (line.startsWith('>')) {
      folder = parseName(line.slice(1));
      current = [];
      folders.set(folder, current);
      continue;
    }
    if (current === undefined) throw new CairnError('ERR_FORMAT', `the board sent an entry before its folder: ${JSON.stringify(line.slice(0, 120))}`);
    const { fields, rest } = splitFields(line, digests ? 6 : 5);
    const name = parseName(rest);
    if (fields[0] === '-') {
      current.push({ name, errno: Number(fields[1]) });
      continue;
    }
    const stat = parseStatFields(fields.slice(0, 5), epochOffset, folder === '/' ? `/${name}` : `${folder}/${name}`);
    const digest = digests ? parseDigest(fields[5], line) : undefined;
    current.push(digest === undefined ? { name, stat } : { name, stat, digest });
  }
  return folders;
}
