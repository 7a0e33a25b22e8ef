import type { Id } from '@cairn/core';
import { checkBigInt, checkId, checkString, checkStrings, checkUint, INT64_MAX, INT64_MIN } from './argument-checks.js';
import { describeValue } from './describe-value.js';
import { createFieldReader, own } from './field-reader.js';
import { FORMAT_VERSION } from './format-version.js';
import { packValue, unpackValue, wireInt } from './msgpack.js';

/** The counts a backup records in its snapshot. */
export interface SnapshotSummary {
  readonly filesNew: number;
  readonly filesChanged: number;
  readonly filesUnchanged: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly others: number;
  readonly bytesRead: number;
  readonly bytesAdded: number;
  readonly dataBlobsAdded: number;
  readonly treeBlobsAdded: number;
  readonly packsAdded: number;
  readonly warnings: number;
  readonly durationMs: number;
}

/** One backup: its root tree and where, when and by whom it was made. */
export interface Snapshot {
  /** Nanoseconds since 1970. */
  readonly time: bigint;
  readonly tree: Id;
  readonly paths: string[];
  readonly hostname: string;
  readonly username: string;
  readonly tags: string[];
  readonly description: string;
  readonly meta: Record<string, string>;
  readonly parent: Id | null;
  readonly program: string;
  readonly summary: SnapshotSummary;
}

/** The keys of SnapshotSummary, in the order they are written. */
export const SUMMARY_KEYS: readonly (keyof SnapshotSummary)[] = [
  'filesNew', 'filesChanged', 'filesUnchanged', 'dirs', 'symlinks', 'others', 'bytesRead', 'bytesAdded',
  'dataBlobsAdded', 'treeBlobsAdded', 'packsAdded', 'warnings', 'durationMs',
];

const SNAPSHOT_KEYS = ['v', 'time', 'tree', 'paths', 'hostname', 'username', 'tags', 'description', 'meta', 'parent', 'program', 'summary'];

/** Encodes a snapshot file; `meta` is written with its keys sorted, so equal snapshots give equal bytes. */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  if (typeof snapshot !== 'object' || snapshot === null) throw new TypeError(`snapshot must be a Snapshot, not ${describeValue(snapshot)}`);
  checkBigInt(snapshot.time, 'snapshot.time', INT64_MIN, INT64_MAX);
  checkId(snapshot.tree, 'snapshot.tree');
  checkStrings(snapshot.paths, 'snapshot.paths');
  for (const key of ['hostname', 'username', 'description', 'program'] as const) checkString(snapshot[key], `snapshot.${key}`);
  checkStrings(snapshot.tags, 'snapshot.tags');
  const meta = snapshot.meta;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new TypeError(`snapshot.meta must be a map of strings, not ${describeValue(meta)}`);
  const metaKeys = Object.keys(meta).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const key of metaKeys) {
    checkString(key, 'a key of snapshot.meta');
    checkString(meta[key], `snapshot.meta[${JSON.stringify(key)}]`);
  }
  if (snapshot.parent !== null) checkId(snapshot.parent, 'snapshot.parent');
  const summary = snapshot.summary;
  if (typeof summary !== 'object' || summary === null) throw new TypeError(`snapshot.summary must be a SnapshotSummary, not ${describeValue(summary)}`);
  for (const key of SUMMARY_KEYS) checkUint(summary[key], `snapshot.summary.${key}`);
  return packValue({
    v: FORMAT_VERSION,
    time: snapshot.time,
    tree: snapshot.tree,
    paths: snapshot.paths,
    hostname: snapshot.hostname,
    username: snapshot.username,
    tags: snapshot.tags,
    description: snapshot.description,
    meta: Object.fromEntries(metaKeys.map((key) => [key, meta[key]])),
    parent: snapshot.parent,
    program: snapshot.program,
    summary: Object.fromEntries(SUMMARY_KEYS.map((key) => [key, wireInt(summary[key])])),
  });
}

/**
 * Decodes a snapshot file. Every key is required (`parent` may be nil); the summary may lack
 * counts (they read as 0) or hold ones this version does not know (ignored).
 */
export function decodeSnapshot(bytes: Uint8Array, where: string): Snapshot {
  const read = createFieldReader(where, 'snapshot');
  const root = read.root(unpackValue(bytes, where, 'snapshot'), SNAPSHOT_KEYS);
  for (const key of SNAPSHOT_KEYS) if (own(root, key) === undefined) read.fail(key, 'is missing');
  const strings = (key: string): string[] => read.array(own(root, key), key).map((item, i) => read.string(item, `${key}[${i}]`));
  const metaMap = read.map(own(root, 'meta'), 'meta');
  const meta = Object.fromEntries(Object.entries(metaMap).map(([key, value]) => [key, read.string(value, `meta[${JSON.stringify(key)}]`)]));
  const parent = own(root, 'parent');
  const summaryMap = read.map(own(root, 'summary'), 'summary');
  const summary = {} as Record<keyof SnapshotSummary, number>;
  for (const key of SUMMARY_KEYS) {
    const value = own(summaryMap, key);
    summary[key] = value === undefined ? 0 : read.uint(value, `summary.${key}`);
  }
  return {
    time: read.int(own(root, 'time'), 'time'),
    tree: read.id(own(root, 'tree'), 'tree'),
    paths: strings('paths'),
    hostname: read.string(own(root, 'hostname'), 'hostname'),
    username: read.string(own(root, 'username'), 'username'),
    tags: strings('tags'),
    description: read.string(own(root, 'description'), 'description'),
    meta,
    parent: parent === null ? null : read.id(parent, 'parent'),
    program: read.string(own(root, 'program'), 'program'),
    summary,
  };
}
