import type { Id, WorkingCopyMode } from '@cairn/core';
import { checkBigInt, checkId, checkString, checkStrings, checkUint, INT64_MAX, INT64_MIN } from './argument-checks.js';
import { describeValue } from './describe-value.js';
import { createFieldReader, own } from './field-reader.js';
import type { FieldReader, WireMap } from './field-reader.js';
import { NEWEST_FILE_VERSION } from './format-version.js';
import { packValue, unpackValue, wireInt } from './msgpack.js';

/** The counts a backup records in its snapshot. */
export interface SnapshotSummary {
  readonly filesNew: number;
  readonly filesChanged: number;
  readonly filesUnchanged: number;
  /** Files recorded by reference to their VCS (not read). */
  readonly filesReferenced: number;
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
  /** Working copies (git, hg, svn) found in the backed-up paths and their state (format version 2). */
  readonly vcs?: readonly SnapshotWorkingCopy[];
  /** What the backup's policy left out, folders as one entry each (format version 2). */
  readonly skipped?: readonly SkippedEntry[];
  /** Files stored (or recorded by reference) per class: source, config, asset… (format version 2). */
  readonly classes?: Readonly<Record<string, ClassCount>>;
}

/** A working copy in a snapshot: where it is, how it was backed up, and its VCS state. */
export interface SnapshotWorkingCopy {
  /** Its root folder in the snapshot ("/app", "/work/site"). */
  readonly path: string;
  /** `full`: every file stored; `changes`: clean pushed files recorded by reference, the VCS folder left out. */
  readonly mode: WorkingCopyMode;
  /** The state as JSON text (a @cairn/vcs VcsState: VCS, HEAD, branch, remotes, pending changes…). */
  readonly state: string;
  /** The tree of what the remote cannot give back (bundle, stashes, config, hooks); null in `full` mode. */
  readonly extras: Id | null;
  /** A fingerprint of what the extras were made from: a later backup with the same one reuses `extras`. */
  readonly extrasKey?: string;
}

/** A path a backup's policy left out, and why. */
export interface SkippedEntry {
  /** The snapshot path; a folder ends with "/". */
  readonly path: string;
  readonly class: string;
  /** The sentence naming the rule that decided. */
  readonly reason: string;
}

/** Files and bytes of one class. */
export interface ClassCount {
  readonly files: number;
  readonly bytes: number;
}

/** The keys of SnapshotSummary, in the order they are written. */
export const SUMMARY_KEYS: readonly (keyof SnapshotSummary)[] = [
  'filesNew', 'filesChanged', 'filesUnchanged', 'filesReferenced', 'dirs', 'symlinks', 'others', 'bytesRead', 'bytesAdded',
  'dataBlobsAdded', 'treeBlobsAdded', 'packsAdded', 'warnings', 'durationMs',
];

const SNAPSHOT_KEYS = ['v', 'time', 'tree', 'paths', 'hostname', 'username', 'tags', 'description', 'meta', 'parent', 'program', 'summary'];
/** Optional keys of format version 2. */
const SNAPSHOT_KEYS_V2 = ['vcs', 'skipped', 'classes'];
const WORKING_COPY_KEYS = ['path', 'mode', 'state', 'extras', 'extrasKey'];

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
  const v2 = wireV2(snapshot);
  return packValue({
    v: Object.keys(v2).length > 0 ? 2 : 1,
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
    ...v2,
  });
}

/** The version-2 keys of a snapshot that has them, checked. */
function wireV2(snapshot: Snapshot): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  if (snapshot.vcs !== undefined) {
    if (!Array.isArray(snapshot.vcs)) throw new TypeError(`snapshot.vcs must be an array, not ${describeValue(snapshot.vcs)}`);
    wire['vcs'] = snapshot.vcs.map((copy: SnapshotWorkingCopy, i) => {
      const at = `snapshot.vcs[${i}]`;
      checkString(copy?.path, `${at}.path`);
      if (copy.mode !== 'full' && copy.mode !== 'changes') throw new TypeError(`${at}.mode must be "full" or "changes", not ${describeValue(copy.mode)}`);
      checkString(copy.state, `${at}.state`);
      if (copy.extras !== null) checkId(copy.extras, `${at}.extras`);
      if (copy.extrasKey !== undefined) checkString(copy.extrasKey, `${at}.extrasKey`);
      return { path: copy.path, mode: copy.mode, state: copy.state, extras: copy.extras, ...(copy.extrasKey === undefined ? {} : { extrasKey: copy.extrasKey }) };
    });
  }
  if (snapshot.skipped !== undefined) {
    if (!Array.isArray(snapshot.skipped)) throw new TypeError(`snapshot.skipped must be an array, not ${describeValue(snapshot.skipped)}`);
    wire['skipped'] = snapshot.skipped.map((entry: SkippedEntry, i) => {
      for (const key of ['path', 'class', 'reason'] as const) checkString(entry?.[key], `snapshot.skipped[${i}].${key}`);
      return [entry.path, entry.class, entry.reason];
    });
  }
  if (snapshot.classes !== undefined) {
    const classes = snapshot.classes;
    if (typeof classes !== 'object' || classes === null || Array.isArray(classes)) throw new TypeError(`snapshot.classes must be a map, not ${describeValue(classes)}`);
    const names = Object.keys(classes).sort();
    wire['classes'] = Object.fromEntries(names.map((name) => {
      const count = classes[name];
      checkUint(count?.files, `snapshot.classes[${JSON.stringify(name)}].files`);
      checkUint(count?.bytes, `snapshot.classes[${JSON.stringify(name)}].bytes`);
      return [name, [wireInt(count!.files), wireInt(count!.bytes)]];
    }));
  }
  return wire;
}

/**
 * Decodes a snapshot file. Every key is required (`parent` may be nil); the summary may lack
 * counts (they read as 0) or hold ones this version does not know (ignored).
 */
export function decodeSnapshot(bytes: Uint8Array, where: string): Snapshot {
  const read = createFieldReader(where, 'snapshot');
  const root = read.root(unpackValue(bytes, where, 'snapshot'), [...SNAPSHOT_KEYS, ...SNAPSHOT_KEYS_V2], NEWEST_FILE_VERSION);
  if (root.v < 2) for (const key of SNAPSHOT_KEYS_V2) if (own(root, key) !== undefined) read.fail(key, `is not a key of format version ${root.v}`);
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
    ...readV2(read, root),
  };
}

/** The version-2 keys a snapshot has. */
function readV2(read: FieldReader, root: WireMap): Pick<Snapshot, 'vcs' | 'skipped' | 'classes'> {
  const out: { vcs?: SnapshotWorkingCopy[]; skipped?: SkippedEntry[]; classes?: Record<string, ClassCount> } = {};
  const vcs = own(root, 'vcs');
  if (vcs !== undefined) {
    out.vcs = read.array(vcs, 'vcs').map((item, i) => {
      const at = `vcs[${i}]`;
      const map = read.map(item, at, WORKING_COPY_KEYS);
      const mode = own(map, 'mode');
      if (mode !== 'full' && mode !== 'changes') read.fail(`${at}.mode`, `is ${describeValue(mode)}, expected "full" or "changes"`);
      const extras = own(map, 'extras');
      const key = own(map, 'extrasKey');
      return {
        path: read.string(own(map, 'path'), `${at}.path`),
        mode: mode as WorkingCopyMode,
        state: read.string(own(map, 'state'), `${at}.state`),
        extras: extras === null ? null : read.id(extras, `${at}.extras`),
        ...(key === undefined ? {} : { extrasKey: read.string(key, `${at}.extrasKey`) }),
      };
    });
  }
  const skipped = own(root, 'skipped');
  if (skipped !== undefined) {
    out.skipped = read.array(skipped, 'skipped').map((item, i) => {
      const [path, cls, reason] = read.array(item, `skipped[${i}]`).map((text, j) => read.string(text, `skipped[${i}][${j}]`));
      if (path === undefined || cls === undefined || reason === undefined) read.fail(`skipped[${i}]`, 'is not [path, class, reason]');
      return { path: path!, class: cls!, reason: reason! };
    });
  }
  const classes = own(root, 'classes');
  if (classes !== undefined) {
    const map = read.map(classes, 'classes');
    out.classes = Object.fromEntries(Object.entries(map).map(([name, value]) => {
      const [files, bytes] = read.array(value, `classes.${name}`).map((n, j) => read.uint(n, `classes.${name}[${j}]`));
      if (files === undefined || bytes === undefined) read.fail(`classes.${name}`, 'is not [files, bytes]');
      return [name, { files: files!, bytes: bytes! }];
    }));
  }
  return out;
}
