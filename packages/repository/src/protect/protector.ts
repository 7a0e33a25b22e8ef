import { hostname as osHostname } from 'node:os';
import { CairnError, isCairnError, shortId } from '@cairn/core';
import type { Source } from '@cairn/core';
import { backup } from '../backup/archiver.js';
import { holdLock } from '../locks/held-lock.js';
import type { HeldLock } from '../locks/held-lock.js';
import { removeSnapshotFiles } from '../maintenance/forget.js';
import type { Repository } from '../repo/repository.js';
import { createSnapshotCache, latestOfOrigin, PROTECT_REASON_KEY, PROTECT_TAG } from '../repo/snapshots.js';
import type { SnapshotCache, SnapshotEntry } from '../repo/snapshots.js';
import { applyProtectRetention, PROTECT_LEASE_KEY } from './protect-retention.js';
import { DEFAULT_PROTECT_KEEP } from './protect-types.js';
import type { ProtectHandle, ProtectOptions, ProtectorOptions, ProtectState, RollbackResult } from './protect-types.js';
import { rollbackPaths, splitPath, wayTo } from './rollback.js';

/** The meta key of a protect snapshot naming the calling tool. */
export const PROTECT_TOOL_KEY = 'protect.tool';

/** The meta key of a protect snapshot listing (JSON) the protected paths that did not exist. */
export const PROTECT_ABSENT_KEY = 'protect.absent';

/**
 * The meta key of a protect snapshot that names the nearest existing folder above each protected
 * path and the symlinks on the way to it from "/" as they were then (JSON: folder → { symlink →
 * its target }): a rollback writes only where the same way leads (checkFolders in rollback.ts).
 */
export const PROTECT_FOLDERS_KEY = 'protect.folders';

/**
 * Protects files in one open repository, call after call: the repository stays open (no index
 * load per call) and the snapshot list is read once, then only its new files (see
 * createSnapshotCache). Made by createProtector.
 */
export interface Protector {
  readonly repo: Repository;
  /**
   * Stores `paths` (files or folders; each walked alone, nothing else) in a snapshot tagged
   * `protect` whose meta holds the reason and the tool, then forgets the protect snapshots of those
   * paths beyond the last `keep`. Resolves once the snapshot is written. Paths that do not exist are
   * recorded as absent (a rollback removes what is there then).
   */
  protect(paths: readonly string[], options: ProtectOptions): Promise<ProtectHandle>;
  /** Protects `paths`, runs `fn`, keeps the change when it returns and rolls it back when it throws (then rethrows). */
  withProtection<T>(paths: readonly string[], fn: (handle: ProtectHandle) => Promise<T>, options: ProtectOptions): Promise<T>;
  /** Every readable snapshot (oldest first), from the cache. */
  snapshots(): Promise<readonly SnapshotEntry[]>;
  /** Puts `paths` back as `entry` holds them (see rollbackPaths; a path it records as absent is removed), outside any handle: `cairn rollback`. */
  rollbackTo(entry: SnapshotEntry, paths: readonly string[]): Promise<RollbackResult>;
  /** Releases the leases of handles still open (their snapshots stay, now forgettable by retention). */
  close(): Promise<void>;
}

/** Creates a Protector over an open repository; `source` and `target` are the local filesystem's (@cairn/transport). */
export function createProtector(repo: Repository, options: ProtectorOptions): Protector {
  const defaultKeep = checkKeep(options.keep ?? DEFAULT_PROTECT_KEEP);
  const hostname = options.hostname ?? osHostname();
  const tool = options.tool ?? defaultTool();
  const cache: SnapshotCache = createSnapshotCache(repo);
  const open = new Set<HeldLock>();
  /** What killed writers left is removed by the first protect of this Protector, not by every one. */
  let tidied = false;
  const { source } = options;

  const protector: Protector = {
    repo,
    async protect(paths, call) {
      if (typeof call?.reason !== 'string' || call.reason.trim() === '') throw new TypeError('protect needs a reason (a non-empty string): say why the files are about to change');
      const keep = checkKeep(call.keep ?? defaultKeep);
      const resolved = resolvePaths(paths, (path) => source.resolve(path));
      const present: string[] = [];
      const absent: string[] = [];
      for (const path of resolved) {
        try {
          await source.lstat(path);
          present.push(path);
        } catch (error) {
          if (!isCairnError(error, 'ERR_NOT_FOUND')) throw error;
          absent.push(path);
        }
      }
      const folders = await folderIdentities(source, resolved);
      const lease = await holdLock(repo.backend, 'lease', `protect: ${call.reason.slice(0, 80)}`);
      let entry: SnapshotEntry | null = null;
      let forgotten: string[] = [];
      try {
        if (present.length > 0) {
          const { snapshots } = await cache.list();
          const parentSnapshot = latestOfOrigin(snapshots, { paths: present, hostname }, 'protect');
          const meta: Record<string, string> = { [PROTECT_REASON_KEY]: call.reason, [PROTECT_TOOL_KEY]: call.tool ?? tool, [PROTECT_LEASE_KEY]: lease.token };
          if (absent.length > 0) meta[PROTECT_ABSENT_KEY] = JSON.stringify(absent);
          meta[PROTECT_FOLDERS_KEY] = JSON.stringify(folders);
          const result = await backup(repo, {
            source, paths: present, hostname, parentSnapshot,
            tags: [PROTECT_TAG],
            description: call.reason,
            meta,
            threads: options.threads ?? 0,
            tidy: !tidied,
            ...(call.time === undefined ? {} : { time: call.time }),
            ...(call.signal === undefined ? {} : { signal: call.signal }),
          });
          tidied = true;
          if (result.partial) {
            await removeSnapshotFiles(repo, [result.id]);
            const first = result.warnings.find((w) => w.kind === 'unreadable' || w.kind === 'changed');
            throw new CairnError('ERR_IO', `could not protect ${first?.path ?? present.join(', ')}: ${first?.message ?? 'it changed while it was read'}; nothing was kept`, {
              hint: 'protect it again once nothing else writes it',
            });
          }
          entry = { id: result.id, snapshot: result.snapshot };
          forgotten = await applyProtectRetention(repo, [...snapshots, entry], { paths: present, hostname, keep, except: [entry.id] });
        }
      } catch (error) {
        await lease.release().catch(() => undefined);
        throw error;
      }
      open.add(lease);
      return makeHandle(entry, resolved, present, absent, forgotten, lease, folders);
    },
    async withProtection(paths, fn, call) {
      const handle = await protector.protect(paths, call);
      let value;
      try {
        value = await fn(handle);
      } catch (error) {
        if (handle.state !== 'open') throw error;
        try {
          await handle.rollback();
        } catch (rollbackError) {
          const what = error instanceof Error ? error.message : String(error);
          throw new CairnError('ERR_IO', `the protected change failed (${what}), and rolling it back failed too: ${rollbackError instanceof Error ? rollbackError.message : String(rollbackError)}`, {
            hint: handle.snapshotId === null ? 'remove what the change created by hand' : `put the files back with \`cairn rollback ${handle.paths.join(' ')} --to ${shortId(handle.snapshotId)}\``,
            cause: rollbackError,
          });
        }
        throw error;
      }
      if (handle.state === 'open') await handle.commit();
      return value;
    },
    async snapshots() {
      return (await cache.list()).snapshots;
    },
    rollbackTo(entry, paths) {
      const resolved = resolvePaths(paths, (path) => source.resolve(path));
      const wasAbsent = absentIn(entry);
      return rollbackPaths(repo, options, entry, resolved.filter((p) => !wasAbsent.includes(p)), resolved.filter((p) => wasAbsent.includes(p)), foldersIn(entry));
    },
    async close() {
      const leases = [...open];
      open.clear();
      for (const lease of leases) await lease.release().catch(() => undefined);
    },
  };

  function makeHandle(entry: SnapshotEntry | null, paths: string[], present: string[], absent: string[], forgotten: string[], lease: HeldLock, folders: Record<string, Record<string, string>>): ProtectHandle {
    let state: ProtectState = 'open';
    const finish = async (next: ProtectState): Promise<void> => {
      state = next;
      if (open.delete(lease)) await lease.release().catch(() => undefined);
    };
    const closed = (what: string): CairnError => new CairnError('ERR_USAGE', `this protected change was already ${state === 'committed' ? 'kept (committed)' : 'rolled back'}: it cannot be ${what}`, {
      ...(entry === null ? {} : { hint: `put a version back with \`cairn rollback ${paths[0] ?? ''} --to ${shortId(entry.id)}\`` }),
    });
    return {
      snapshotId: entry?.id ?? null,
      snapshot: entry?.snapshot ?? null,
      paths,
      absent,
      forgotten,
      get state() {
        return state;
      },
      async rollback() {
        if (state !== 'open') throw closed('rolled back');
        const result = await rollbackPaths(repo, options, entry, present, absent, folders);
        await finish('rolled-back');
        return result;
      },
      async commit() {
        if (state === 'rolled-back') throw closed('kept');
        await finish('committed');
      },
    };
  }

  return protector;
}

/** Options of protect() and withProtection(): those of one call, and the Protector that keeps the repository open. */
export interface ProtectCallOptions extends ProtectOptions {
  /** The repository, as a Protector (createProtector): one per process, for every call. */
  readonly repo: Protector;
}

/** Protects `paths` in `options.repo` (see Protector.protect). */
export function protect(paths: readonly string[], options: ProtectCallOptions): Promise<ProtectHandle> {
  const { repo, ...call } = options;
  return repo.protect(paths, call);
}

/** Protects `paths`, runs `fn`, keeps the change when it returns and rolls it back when it throws (see Protector.withProtection). */
export function withProtection<T>(paths: readonly string[], fn: (handle: ProtectHandle) => Promise<T>, options: ProtectCallOptions): Promise<T> {
  const { repo, ...call } = options;
  return repo.withProtection(paths, fn, call);
}

/**
 * For each path, the nearest folder above it that exists now (its own folder, or one further up
 * when that is missing), with the symlinks on the way to it from "/" and their targets (see
 * PROTECT_FOLDERS_KEY).
 */
async function folderIdentities(source: Source, paths: readonly string[]): Promise<Record<string, Record<string, string>>> {
  const folders: Record<string, Record<string, string>> = {};
  for (const path of paths) {
    let { folder } = splitPath(path);
    for (;;) {
      if (Object.hasOwn(folders, folder)) break;
      const way = await wayTo(source, folder);
      if (way !== null) {
        folders[folder] = way;
        break;
      }
      if (folder === '/') throw new CairnError('ERR_NOT_FOUND', `no folder above ${path} exists`);
      folder = splitPath(folder).folder;
    }
  }
  return folders;
}

/** The folders a protect snapshot recorded (PROTECT_FOLDERS_KEY); none for one made before they were. */
export function foldersIn(entry: SnapshotEntry): Record<string, Record<string, string>> {
  const text = entry.snapshot.meta[PROTECT_FOLDERS_KEY];
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    const folders: Record<string, Record<string, string>> = {};
    for (const [folder, links] of Object.entries(value as Record<string, unknown>)) {
      if (typeof links !== 'object' || links === null || Array.isArray(links)) continue;
      folders[folder] = Object.fromEntries(Object.entries(links).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
    }
    return folders;
  } catch {
    return {};
  }
}

/** The paths a protect snapshot records as absent when it was taken (meta protect.absent); [] for any other snapshot. */
export function absentIn(entry: SnapshotEntry): string[] {
  const text = entry.snapshot.meta[PROTECT_ABSENT_KEY];
  if (text === undefined) return [];
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

function checkKeep(keep: number): number {
  if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be a whole number of protect snapshots per path, 1 or more, not ${String(keep)}`);
  return keep;
}

/** The given paths made absolute, each once; TypeError for a list that is empty or holds a non-string; ERR_USAGE for "/" or two paths with one name. */
function resolvePaths(paths: readonly string[], resolve: (path: string) => string): string[] {
  if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== 'string' || p === '')) {
    throw new TypeError(`protect needs a list of one or more paths, got ${JSON.stringify(paths)}`);
  }
  const resolved = [...new Set(paths.map(resolve))];
  const byName = new Map<string, string>();
  for (const path of resolved) {
    const { name } = splitPath(path);
    if (name === '') throw new CairnError('ERR_USAGE', 'cannot protect "/": name the files a change touches', { hint: 'protect the files or folders the tool is about to change' });
    const clash = byName.get(name);
    if (clash !== undefined) throw new CairnError('ERR_USAGE', `${clash} and ${path} would both be "${name}" in one protect snapshot`, { hint: 'protect them in two calls' });
    byName.set(name, path);
  }
  return resolved;
}

function defaultTool(): string {
  const script = process.argv[1];
  return script === undefined ? 'node' : script.split('/').pop() ?? script;
}
