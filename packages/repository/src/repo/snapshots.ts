import { CairnError, isCairnError, isHexId, toHex } from '@cairn/core';
import { decodeSnapshot, encodeSnapshot } from '@cairn/index';
import type { Snapshot } from '@cairn/index';
import { matchIdPrefix } from './prefix.js';
import { checkContentName } from './blob-check.js';
import { contentIds } from './content-ids.js';
import type { RepositoryFiles } from './repository.js';

/** A snapshot with its id (the hex SHA-256 of its file). */
export interface SnapshotEntry {
  readonly id: string;
  readonly snapshot: Snapshot;
}

/** A snapshot file that could not be read. */
export interface SnapshotProblem {
  readonly file: string;
  readonly error: CairnError;
}

/** Every readable snapshot, oldest first, and the snapshot files that could not be read. */
export async function listSnapshots(
  repo: RepositoryFiles,
): Promise<{ snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }> {
  const names: string[] = [];
  for await (const file of repo.backend.list('snapshot')) names.push(file.name);
  const read = await readSnapshotFiles(repo, names);
  const snapshots: SnapshotEntry[] = [];
  const problems: SnapshotProblem[] = [];
  names.forEach((name, i) => {
    const result = read[i]!;
    if (result instanceof CairnError) problems.push({ file: `snapshots/${name}`, error: result });
    else snapshots.push({ id: name, snapshot: result });
  });
  snapshots.sort(byTime);
  return { snapshots, problems };
}

/** Snapshot files read at once (a backup finds its parent among all of them: one read after another cost 0.3–0.5 ms each). */
const SNAPSHOT_READS = 16;

/**
 * Reads the snapshot files `names`, SNAPSHOT_READS at once: for each (in the order of `names`)
 * its snapshot, or the CairnError that says why it cannot be read. Any other error, and
 * ERR_TRANSIENT, is thrown.
 */
async function readSnapshotFiles(repo: RepositoryFiles, names: readonly string[]): Promise<(Snapshot | CairnError)[]> {
  const results = new Array<Snapshot | CairnError>(names.length);
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < names.length) {
      const i = next;
      next += 1;
      try {
        results[i] = await readSnapshot(repo, names[i]!);
      } catch (error) {
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT') throw error;
        results[i] = error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SNAPSHOT_READS, names.length) }, reader));
  return results;
}

/** Reads one snapshot file and checks it against its name. */
export async function readSnapshot(repo: RepositoryFiles, id: string): Promise<Snapshot> {
  const where = `snapshots/${id}`;
  const bytes = await repo.backend.read('snapshot', id);
  checkContentName(repo.backend, bytes, id, where);
  return decodeSnapshot(bytes, where);
}

/** Writes a snapshot file (named by its hash) and returns its id. */
export async function saveSnapshot(repo: RepositoryFiles, snapshot: Snapshot): Promise<string> {
  const bytes = encodeSnapshot(snapshot);
  const id = toHex(contentIds(repo.backend).id(bytes));
  await repo.backend.write('snapshot', id, bytes);
  return id;
}

/**
 * Which snapshots a command considers (restic's --host, --path, --tag): each given field must
 * match; an empty filter matches every snapshot. The one home of that choice (findSnapshot,
 * forget, tag and the CLI's snapshot listing all ask matchesFilter).
 */
export interface SnapshotFilter {
  /** Snapshots of any of these hosts (empty or missing: any host). */
  readonly hosts?: readonly string[];
  /** Snapshots whose paths include every one of these (restic: a snapshot of /a and /b matches --path /a). */
  readonly paths?: readonly string[];
  /** Snapshots holding every tag of at least one of these lists; the list [""] means "no tags at all". */
  readonly tags?: readonly (readonly string[])[];
}

/** True when the filter narrows nothing. */
export function isEmptyFilter(filter: SnapshotFilter): boolean {
  return (filter.hosts?.length ?? 0) === 0 && (filter.paths?.length ?? 0) === 0 && (filter.tags?.length ?? 0) === 0;
}

/** True when the snapshot passes the filter (see SnapshotFilter). */
export function matchesFilter(snapshot: Pick<Snapshot, 'hostname' | 'paths' | 'tags'>, filter: SnapshotFilter): boolean {
  const hosts = filter.hosts ?? [];
  if (hosts.length > 0 && !hosts.includes(snapshot.hostname)) return false;
  if (!(filter.paths ?? []).every((path) => snapshot.paths.includes(path))) return false;
  const lists = filter.tags ?? [];
  if (lists.length === 0) return true;
  return lists.some((list) => list.every((tag) => (tag === '' ? snapshot.tags.length === 0 : snapshot.tags.includes(tag))));
}

/** The filter in words, for messages: "host laptop, path /home/ana, tags a,b or c". */
export function describeFilter(filter: SnapshotFilter): string {
  const parts: string[] = [];
  const hosts = filter.hosts ?? [];
  const paths = filter.paths ?? [];
  const tags = filter.tags ?? [];
  if (hosts.length > 0) parts.push(`host ${hosts.join(' or ')}`);
  if (paths.length > 0) parts.push(`path${paths.length === 1 ? '' : 's'} ${paths.join(' and ')}`);
  if (tags.length > 0) parts.push(`tags ${tags.map((list) => (list.length === 1 && list[0] === '' ? '(none)' : list.join(','))).join(' or ')}`);
  return parts.length === 0 ? 'every snapshot' : parts.join(', ');
}

/** Options of findSnapshot. */
export interface FindSnapshotOptions {
  /** Called for each snapshot file that cannot be read when the answer may depend on it ("latest"). */
  readonly onUnreadable?: (problem: SnapshotProblem) => void;
  /** `latest` is the newest snapshot that passes it; a snapshot named by id must pass it too (ERR_NOT_FOUND otherwise). */
  readonly filter?: SnapshotFilter;
}

/**
 * Finds a snapshot by full id, unique id prefix, or `latest` (the newest readable one that
 * passes options.filter). ERR_NOT_FOUND / ERR_AMBIGUOUS name the reference (and the filter);
 * ERR_USAGE when it is not hex; ERR_INTEGRITY naming the files when the only snapshots it
 * could be cannot be read.
 */
export async function findSnapshot(repo: RepositoryFiles, ref: string, options: FindSnapshotOptions = {}): Promise<SnapshotEntry> {
  // A full id names one file: read it alone (what the listing would find), not every snapshot.
  // Missing or unreadable, the listing below says so the usual way.
  if (isHexId(ref)) {
    const snapshot = await readSnapshot(repo, ref).catch(() => undefined);
    if (snapshot !== undefined && matchesFilter(snapshot, options.filter ?? {})) return { id: ref, snapshot };
  }
  return findSnapshotAmong(await listSnapshots(repo), ref, options);
}

/** findSnapshot among snapshots listed already (listSnapshots, or a SnapshotCache's list): the same answers and errors. */
export function findSnapshotAmong({ snapshots, problems }: { snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }, ref: string, options: FindSnapshotOptions = {}): SnapshotEntry {
  const filter = options.filter ?? {};
  if (isEmptyFilter(filter)) return findAmong({ snapshots, problems }, ref, options);
  if (ref === 'latest') {
    const matching = snapshots.filter((entry) => matchesFilter(entry.snapshot, filter));
    if (matching.length === 0 && snapshots.length > 0) {
      for (const problem of problems) options.onUnreadable?.(problem);
      throw new CairnError('ERR_NOT_FOUND', `no snapshot matches ${describeFilter(filter)}, so there is no "latest" of them`, {
        hint: 'list the snapshots there are with `cairn snapshots`',
      });
    }
    return findAmong({ snapshots: matching, problems }, ref, options);
  }
  const found = findAmong({ snapshots, problems }, ref, options);
  if (!matchesFilter(found.snapshot, filter)) {
    throw new CairnError('ERR_NOT_FOUND', `snapshot ${found.id.slice(0, 8)} does not match ${describeFilter(filter)}`, {
      hint: 'leave out --host/--path/--tag to take it anyway, or list the matching ones with `cairn snapshots`',
    });
  }
  return found;
}

function findAmong({ snapshots, problems }: { snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }, ref: string, options: FindSnapshotOptions): SnapshotEntry {
  const unreadable = (candidates: readonly SnapshotProblem[], what: string): CairnError => new CairnError(
    'ERR_INTEGRITY',
    `${what}: ${candidates.map((p) => `${p.file} cannot be read (${p.error.message})`).join('; ')}`,
    { hint: 'run `cairn check` to see what is damaged' },
  );
  if (ref === 'latest') {
    const newest = snapshots[snapshots.length - 1];
    if (newest === undefined) {
      if (problems.length > 0) throw unreadable(problems, 'no snapshot can be read, so there is no "latest"');
      throw new CairnError('ERR_NOT_FOUND', 'there is no snapshot yet, so there is no "latest"');
    }
    for (const problem of problems) options.onUnreadable?.(problem);
    return newest;
  }
  try {
    return matchIdPrefix(snapshots, (entry) => entry.id, ref, 'snapshot', 'list them with `cairn snapshots`');
  } catch (error) {
    const candidates = problems.filter((p) => p.file.startsWith(`snapshots/${ref}`));
    if (isCairnError(error, 'ERR_NOT_FOUND') && candidates.length > 0) throw unreadable(candidates, `no readable snapshot has an id starting with "${ref}"`);
    throw error;
  }
}

/** This cairn's version (the CLI's `--version`). */
export const VERSION = '0.2.0';

/** What a snapshot's `program` says this cairn is. */
export const PROGRAM = `cairn ${VERSION}`;

/**
 * True when the backup that made `snapshot` read extended attributes (every cairn after 0.1.0):
 * a node without `xattrs` then has none, and a later backup may keep them for unchanged entries.
 */
export function recordedXattrs(snapshot: Pick<Snapshot, 'program'>): boolean {
  const match = /^cairn (\d+)\.(\d+)\.(\d+)/.exec(snapshot.program);
  return match !== null && (Number(match[1]) > 0 || Number(match[2]) >= 2);
}

/** The tag of the snapshots restoreUndoable takes of what a restore overwrites. */
export const PRE_RESTORE_TAG = 'pre-restore';

/** The tag of the snapshots protect() takes of files a tool is about to change. */
export const PROTECT_TAG = 'protect';

/** The meta key of a protect snapshot that holds its reason (with the tag, what makes it one). */
export const PROTECT_REASON_KEY = 'protect.reason';

/**
 * What a snapshot is: `backup`, a backup of its paths; `pre-restore`, the copy of what a restore
 * overwrote (restoreUndoable: tagged pre-restore, its meta naming the restore); `protect`, the
 * copy of a few files a tool took before changing them (protect(): tagged protect, its meta
 * holding the reason). A snapshot that is not a backup is never a parent, and retention and the
 * size limit group it apart from the backups of the same paths: it never counts as one of them.
 */
export type SnapshotKind = 'backup' | 'pre-restore' | 'protect';

/** The tags that, with their meta, make a snapshot something other than a backup (tag never adds or removes them). */
export const KIND_TAGS: readonly string[] = [PRE_RESTORE_TAG, PROTECT_TAG];

/** The kind of a snapshot (see SnapshotKind): the one place it is decided. */
export function snapshotKind(snapshot: Pick<Snapshot, 'tags' | 'meta'>): SnapshotKind {
  if (snapshot.tags.includes(PRE_RESTORE_TAG) && Object.hasOwn(snapshot.meta, 'restore.snapshot')) return 'pre-restore';
  if (snapshot.tags.includes(PROTECT_TAG) && Object.hasOwn(snapshot.meta, PROTECT_REASON_KEY)) return 'protect';
  return 'backup';
}

/**
 * The parent a backup of `origin` compares with: the newest backup (not a pre-restore or protect snapshot)
 * of the same paths on the same host, or null. The one home of that choice. With `kind` 'protect':
 * the newest protect snapshot of the same paths and host (the parent of the next protect of them,
 * which never is a backup's).
 */
export function latestOfOrigin<T extends { readonly snapshot: Snapshot }>(snapshots: readonly T[], origin: Pick<Snapshot, 'paths' | 'hostname'>, kind: 'backup' | 'protect' = 'backup'): T | null {
  for (let i = snapshots.length - 1; i >= 0; i -= 1) {
    const entry = snapshots[i]!;
    if (snapshotKind(entry.snapshot) === kind && sameOrigin(entry.snapshot, origin)) return entry;
  }
  return null;
}

/** Every readable snapshot, read once per process: see createSnapshotCache. */
export interface SnapshotCache {
  /** As listSnapshots (oldest first): lists the snapshot files, and reads only those not read before. */
  list(): Promise<{ snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }>;
}

/**
 * A listSnapshots that keeps what it read: a snapshot file is named by its hash and never changes,
 * so a process that asks many times (protect, one file after another; the web UI, request after
 * request) lists the folder each time and reads only the files that are new, several at once.
 * Files gone since are left out. Calls made while a listing runs share the one after it (one
 * listing for many requests, none older than the call).
 */
export function createSnapshotCache(repo: RepositoryFiles): SnapshotCache {
  const read = new Map<string, Snapshot>();
  let running: Promise<{ snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }> | undefined;
  const listing = async (): Promise<{ snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }> => {
    const problems: SnapshotProblem[] = [];
    const names: string[] = [];
    for await (const file of repo.backend.list('snapshot')) names.push(file.name);
    const missing = names.filter((name) => !read.has(name));
    const failed = new Set<string>();
    (await readSnapshotFiles(repo, missing)).forEach((result, i) => {
      const name = missing[i]!;
      if (result instanceof CairnError) {
        problems.push({ file: `snapshots/${name}`, error: result });
        failed.add(name);
      } else {
        read.set(name, result);
      }
    });
    const present = new Set(names);
    for (const id of read.keys()) if (!present.has(id)) read.delete(id);
    const snapshots: SnapshotEntry[] = [];
    for (const name of names) if (!failed.has(name)) snapshots.push({ id: name, snapshot: read.get(name)! });
    snapshots.sort(byTime);
    problems.sort((a, b) => a.file.localeCompare(b.file));
    return { snapshots, problems };
  };
  // A call never gets a listing that began before it: calls made while one runs share the next
  // one, which starts when it ends (and reads only the files that are new by then).
  let next: Promise<{ snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }> | undefined;
  const start = (): Promise<{ snapshots: SnapshotEntry[]; problems: SnapshotProblem[] }> => {
    const run = listing().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return {
    list() {
      if (running === undefined) return start();
      next ??= running.catch(() => undefined).then(() => {
        next = undefined;
        return start();
      });
      return next;
    },
  };
}

/**
 * The snapshots `named` (ids, prefixes or `latest`; each once, in the order named, every one
 * passing `filter`), or, when none are named, every readable snapshot that passes `filter`
 * (oldest first): what tag and copy act on.
 */
export async function selectSnapshots(repo: RepositoryFiles, named: readonly string[], filter: SnapshotFilter = {}): Promise<SnapshotEntry[]> {
  if (named.length === 0) return (await listSnapshots(repo)).snapshots.filter((entry) => matchesFilter(entry.snapshot, filter));
  const found = new Map<string, SnapshotEntry>();
  for (const ref of named) {
    const entry = await findSnapshot(repo, ref, { filter });
    found.set(entry.id, entry);
  }
  return [...found.values()];
}

/** Oldest first; snapshots of the same time by id. */
export function byTime(a: SnapshotEntry, b: SnapshotEntry): number {
  return a.snapshot.time < b.snapshot.time ? -1 : a.snapshot.time > b.snapshot.time ? 1 : a.id.localeCompare(b.id);
}

/**
 * The parent of a backup of `origin`: the snapshot `ref` names (id, unique prefix or `latest`)
 * when given, else latestOfOrigin of every readable snapshot. The backup and its size-limit
 * estimate both ask here, so they always agree on the parent.
 */
export async function findParent(
  repo: RepositoryFiles,
  ref: string | undefined,
  origin: Pick<Snapshot, 'paths' | 'hostname'>,
): Promise<SnapshotEntry | null> {
  if (ref !== undefined) return findSnapshot(repo, ref);
  return latestOfOrigin((await listSnapshots(repo)).snapshots, origin);
}

/** True when two snapshots were taken of the same paths on the same host (parent candidates). */
export function sameOrigin(a: Pick<Snapshot, 'paths' | 'hostname'>, b: Pick<Snapshot, 'paths' | 'hostname'>): boolean {
  if (a.hostname !== b.hostname || a.paths.length !== b.paths.length) return false;
  const sortedA = [...a.paths].sort();
  const sortedB = [...b.paths].sort();
  return sortedA.every((path, i) => path === sortedB[i]);
}
