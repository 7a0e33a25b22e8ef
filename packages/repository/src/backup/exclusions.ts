import { formatBytes } from '@cairn/core';
import type { EntryStat, SourceDir } from '@cairn/core';
import { compileExcludePattern } from './exclude-pattern.js';
import type { ExcludePattern } from './exclude-pattern.js';

/** A folder holding an entry named `name` (a file starting with `header`, when given) keeps only that entry. */
export interface ExcludeMarker {
  readonly name: string;
  readonly header?: string;
}

/**
 * What a backup leaves out below its paths before the entry selector (policy, VCS) is asked:
 * restic's exclude flags. Excluded entries are listed in the snapshot's `skipped` with the
 * class `excluded`. The backup's own paths are always read.
 */
export interface ExcludeOptions {
  /** Patterns (restic's syntax, see compileExcludePattern) whose matching entries are left out with everything below them. */
  readonly patterns?: readonly string[];
  /** The same, compared case-insensitively. */
  readonly caseInsensitivePatterns?: readonly string[];
  /** Folders holding one of these keep that entry only, the rest of their entries is left out. */
  readonly markers?: readonly ExcludeMarker[];
  /** Files larger than this many bytes are left out (a file of exactly this size is kept). */
  readonly largerThan?: number;
  /** A folder on another filesystem than the folder holding it is stored empty: its entries are not read. */
  readonly oneFileSystem?: boolean;
}

/** The class excluded entries have in the snapshot's `skipped`. */
export const EXCLUDED_CLASS = 'excluded';

/** ExcludeOptions compiled for the walk. */
export interface Exclusions {
  readonly oneFileSystem: boolean;
  readonly markers: readonly ExcludeMarker[];
  /** Why the entry at `path` is left out (a sentence), or null when it is kept. */
  reason(path: string, stat: EntryStat): string | null;
}

/** Compiles and checks exclude options; RangeError / TypeError naming the bad value. */
export function createExclusions(options: ExcludeOptions): Exclusions {
  const patterns: ExcludePattern[] = [
    ...(options.patterns ?? []).map((text) => compileExcludePattern(text)),
    ...(options.caseInsensitivePatterns ?? []).map((text) => compileExcludePattern(text, { caseInsensitive: true })),
  ];
  const largerThan = options.largerThan;
  if (largerThan !== undefined && !(Number.isSafeInteger(largerThan) && largerThan >= 0)) {
    throw new RangeError(`an exclude size must be a whole number of bytes, got ${String(largerThan)}`);
  }
  for (const marker of options.markers ?? []) checkMarkerName(marker.name);
  return {
    oneFileSystem: options.oneFileSystem === true,
    markers: options.markers ?? [],
    reason(path, stat) {
      const components = path.split('/').filter((c) => c !== '');
      let lower: string[] | undefined;
      const hit = patterns.find((pattern) => pattern.matchesComponents(pattern.caseInsensitive ? (lower ??= components.map((c) => c.toLowerCase())) : components));
      if (hit !== undefined) return `matches the ${hit.caseInsensitive ? 'case-insensitive ' : ''}exclude pattern ${JSON.stringify(hit.text)}`;
      if (largerThan !== undefined && stat.type === 'file' && stat.size > largerThan) {
        return `${formatBytes(stat.size)} (${stat.size} bytes), larger than ${formatBytes(largerThan)} (${largerThan} bytes)`;
      }
      return null;
    },
  };
}

/** Whether any exclusion is asked for. */
export function excludesAnything(options: ExcludeOptions | undefined): boolean {
  if (options === undefined) return false;
  return (options.patterns?.length ?? 0) + (options.caseInsensitivePatterns?.length ?? 0) + (options.markers?.length ?? 0) > 0
    || options.largerThan !== undefined || options.oneFileSystem === true;
}

const UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * A size such as restic's --exclude-larger-than takes: bytes ("4096"), or a number with a binary
 * unit K, M, G or T, optionally followed by B or iB ("10M", "1.5G", "512KiB"). RangeError otherwise.
 */
export function parseExcludeSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT]?)(?:i?B)?$/i.exec(typeof text === 'string' ? text.trim() : '');
  const bytes = match === null ? Number.NaN : Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`not a size: ${JSON.stringify(text)} (want bytes or a number with K, M, G or T, such as 10M or 1G)`);
  return bytes;
}

/** Parses restic's `filename[:header]` of --exclude-if-present; RangeError for an empty or path-like name. */
export function parseExcludeMarker(text: string): ExcludeMarker {
  const at = text.indexOf(':');
  const name = at < 0 ? text : text.slice(0, at);
  checkMarkerName(name, text);
  return at < 0 ? { name } : { name, header: text.slice(at + 1) };
}

function checkMarkerName(name: string, given: string = name): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new RangeError(`${JSON.stringify(given)} does not name an entry of a folder (want filename or filename:header)`);
  }
}

/**
 * The first marker (--exclude-if-present) the folder `dir` holds: an entry of its name, and when
 * the marker has a header, a regular file whose first bytes are the header's UTF-8 bytes.
 * `tryRead` runs a read of the entry `name`, turning a source error into a warning and null.
 */
export async function markerIn(
  dir: SourceDir,
  names: readonly string[],
  markers: readonly ExcludeMarker[],
  tryRead: <T>(name: string, read: () => Promise<T>) => Promise<T | null>,
): Promise<ExcludeMarker | null> {
  for (const marker of markers) {
    if (!names.includes(marker.name)) continue;
    if (marker.header === undefined || marker.header === '') return marker;
    const stat = await tryRead(marker.name, () => dir.lstat(marker.name));
    if (stat?.type !== 'file') continue;
    const header = new TextEncoder().encode(marker.header);
    const start = await tryRead(marker.name, () => readStart(dir, marker.name, stat, header.length));
    if (start !== null && Buffer.compare(start, header) === 0) return marker;
  }
  return null;
}

/** At most the first `length` bytes of a regular file of `dir`. */
async function readStart(dir: SourceDir, name: string, stat: EntryStat, length: number): Promise<Uint8Array> {
  const file = await dir.openFile(name, stat);
  try {
    const out = new Uint8Array(length);
    let filled = 0;
    for await (const piece of file.chunks(Math.max(1, length))) {
      const take = Math.min(piece.byteLength, length - filled);
      out.set(piece.subarray(0, take), filled);
      filled += take;
      if (filled === length) break;
    }
    return out.subarray(0, filled);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** Why the entries beside a marker are left out. */
export function markerReason(marker: ExcludeMarker): string {
  const header = marker.header === undefined || marker.header === '' ? '' : ` starting with ${JSON.stringify(marker.header)}`;
  return `the folder holds ${JSON.stringify(marker.name)}${header}`;
}
