import { randomInt } from 'node:crypto';
import { CairnError, isCairnError, toHex } from '@cairn/core';
import type { PackedBlob } from '@cairn/core';
import { decodeGroup, decodePack, decodePackHeader, PACK_TRAILER_LENGTH, parsePackTrailer } from '@cairn/pack';
import { checkContentName, unpackBlob } from '../repo/blob-check.js';
import { baseFailure } from '../repo/delta-chain.js';
import { naming, packFileName, snapshotPath } from '../repo/names.js';
import { readPruneRecords } from '../maintenance/prune-record.js';
import { nodeProblem, snapshotRoots, walkTrees, whereIn } from '../tree/reachability.js';
import { listSnapshots } from '../repo/snapshots.js';
import type { IndexLookup, Repository } from '../repo/repository.js';

/** One thing `check` found wrong, naming the file (or snapshot path) where it is. */
export interface CheckProblem {
  /** The repository file concerned: "index/…", "data/ab/…", "snapshots/…", or a snapshot path. */
  readonly file: string;
  /** A sentence naming `file` and what is wrong. */
  readonly message: string;
}

/** Which packs `check` reads whole: a random share of them, or part `part` of `of` fixed groups (by pack id). */
export type DataSubset = { readonly percent: number } | { readonly part: number; readonly of: number };

/** Options of check(). */
export interface CheckOptions {
  /** Read every pack whole and verify every blob (slow); otherwise only pack headers. */
  readonly readData?: boolean;
  /** Read only these packs whole (and the headers of the others); ignored with readData. */
  readonly readDataSubset?: DataSubset;
  /** Stops the check between packs and between snapshots with ERR_ABORTED (a check changes nothing). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { phase: string; done: number; total: number }) => void;
}

/** What check() verified and what it found. */
export interface CheckResult {
  readonly problems: CheckProblem[];
  /** Findings that are not damage (packs no index names: left by an interrupted backup). */
  readonly notes: string[];
  /** packs: checked (header or whole); packsRead: read whole, their `blobs` verified against their ids, `bytesRead` in all. */
  readonly verified: { snapshots: number; trees: number; packs: number; packsRead: number; blobs: number; bytesRead: number };
}

/**
 * Verifies a repository: index files, pack headers against the index, snapshots, every
 * tree they reach and that every data blob is indexed; with readData every byte of
 * every pack against its id (with readDataSubset, of the packs it selects).
 */
export async function check(repo: Repository, options: CheckOptions = {}): Promise<CheckResult> {
  const problems: CheckProblem[] = repo.indexProblems.map((p) => ({ file: p.file, message: naming(p.file, p.error.message) }));
  const notes: string[] = [];
  const verified = { snapshots: 0, trees: 0, packs: 0, packsRead: 0, blobs: 0, bytesRead: 0 };
  const stopIfAborted = (): void => {
    if (options.signal?.aborted === true) throw new CairnError('ERR_ABORTED', 'check interrupted');
  };
  const report = (file: string, error: unknown): void => {
    if (!isCairnError(error) || error.code === 'ERR_TRANSIENT' || error.code === 'ERR_ABORTED') throw error;
    problems.push({ file, message: naming(file, error.message) });
  };

  // Group members found damaged (hex → why), so the snapshot walk names every file that holds one.
  const damaged = new Map<string, string>();
  // Packs: every indexed pack exists and its header agrees with the index.
  const stored = new Map<string, number>();
  for await (const file of repo.backend.list('data')) stored.set(file.name, file.size);
  const indexed = repo.index.packIds().map(toHex);
  const readWhole = options.readData === true ? new Set(indexed) : selectSubset(indexed, options.readDataSubset);
  for (const [i, hex] of indexed.entries()) {
    stopIfAborted();
    options.onProgress?.({ phase: 'packs', done: i, total: indexed.length });
    const where = packFileName(hex);
    const size = stored.get(hex);
    if (size === undefined) {
      problems.push({ file: where, message: `${where} is missing (the index lists it)` });
      continue;
    }
    try {
      if (readWhole.has(hex)) {
        verified.blobs += await verifyWholePack(repo, hex, where, (error) => report(where, error), (id, error) => {
          damaged.set(toHex(id), error.message);
          report(where, error);
        });
        verified.bytesRead += size;
        verified.packsRead += 1;
      } else {
        await verifyPackHeader(repo, hex, size, where);
      }
      verified.packs += 1;
    } catch (error) {
      report(where, error);
    }
  }
  const indexedSet = new Set(indexed);
  const marked = new Map<string, number>();
  for (const record of (await readPruneRecords(repo.backend)).records) for (const pack of record.packs) marked.set(pack.id, record.created);
  for (const hex of stored.keys()) {
    if (indexedSet.has(hex)) continue;
    const since = marked.get(hex);
    notes.push(since === undefined
      ? `${packFileName(hex)} is in no index (left by an interrupted backup or prune? \`cairn prune\` removes it)`
      : `${packFileName(hex)} is in no index: prune marked it for deletion on ${new Date(since).toISOString()}`);
  }

  // Snapshots and everything they reference (reachability.ts): every tree readable, every node sound.
  const { snapshots, problems: snapshotProblems } = await listSnapshots(repo);
  for (const p of snapshotProblems) problems.push({ file: p.file, message: naming(p.file, p.error.message) });
  const seen = new Set<string>();
  for (const { id, snapshot } of snapshots) {
    stopIfAborted();
    options.onProgress?.({ phase: 'snapshots', done: verified.snapshots, total: snapshots.length });
    const copies = (snapshot.vcs ?? []).filter((copy) => copy.mode === 'changes').map((copy) => copy.path.replace(/^\/+/, ''));
    await walkTrees(repo, snapshotRoots(snapshot), (tree) => {
      verified.trees += 1;
      for (const node of tree.nodes) {
        const parts = [...tree.parts, node.name];
        const problem = nodeProblem(node, repo.index)
          ?? (damaged.size === 0 ? undefined : damagedContent(node.content, damaged))
          ?? (node.ref !== undefined && tree.root.kind === 'tree' && !copies.some((copy) => copy === '' || snapshotPath(parts).startsWith(`${copy}/`))
            ? `is recorded by reference (${node.ref.id} in ${node.ref.commit}) but the snapshot records no working copy holding it`
            : undefined);
        if (problem !== undefined) {
          const file = whereIn(id, tree.root, parts);
          problems.push({ file, message: `${file} ${problem}` });
        }
      }
    }, { seen, snapshotId: id, onUnreadable: report, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    verified.snapshots += 1;
  }
  return { problems, notes, verified };
}

/**
 * Parses --read-data-subset: "N%" (0 < N <= 100, a random share of the packs) or "K/M"
 * (1 <= K <= M <= 256: the packs whose id's first byte modulo M is K-1, restic's groups).
 */
export function parseDataSubset(text: string): DataSubset {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent !== null) {
    const value = Number(percent[1]);
    if (value > 0 && value <= 100) return { percent: value };
  }
  const group = /^(\d+)\/(\d+)$/.exec(text);
  if (group !== null) {
    const part = Number(group[1]);
    const of = Number(group[2]);
    if (part >= 1 && part <= of && of <= 256) return { part, of };
  }
  throw new RangeError(`--read-data-subset wants N% (0 < N <= 100) or K/M (1 <= K <= M <= 256), not ${JSON.stringify(text)}`);
}

/** The packs (hex ids) a subset selects: a random N% (at least one when there are packs), or group K of M by first id byte. */
export function selectSubset(packs: readonly string[], subset: DataSubset | undefined): Set<string> {
  if (subset === undefined) return new Set();
  if ('percent' in subset) {
    const shuffled = [...packs];
    const count = Math.min(shuffled.length, Math.max(shuffled.length > 0 ? 1 : 0, Math.floor((shuffled.length * subset.percent) / 100)));
    for (let i = 0; i < count; i += 1) {
      const j = i + randomInt(shuffled.length - i);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    return new Set(shuffled.slice(0, count));
  }
  return new Set(packs.filter((hex) => Number.parseInt(hex.slice(0, 2), 16) % subset.of === subset.part - 1));
}

async function verifyPackHeader(repo: Pick<Repository, 'backend' | 'index'>, hex: string, size: number, where: string): Promise<void> {
  if (size < PACK_TRAILER_LENGTH) throw new CairnError('ERR_INTEGRITY', `${where} is ${size} bytes, too short to be a pack`);
  const trailer = await repo.backend.read('data', hex, { offset: size - PACK_TRAILER_LENGTH, length: PACK_TRAILER_LENGTH });
  const { headerOffset, headerLength } = parsePackTrailer(trailer, size, where);
  const header = await repo.backend.read('data', hex, { offset: headerOffset, length: headerLength });
  compareWithIndex(repo, hex, decodePackHeader(header, size, where), where);
}

/** Why a file's content cannot be read when one of its blobs is among the damaged ones; undefined when none is. */
function damagedContent(content: readonly Uint8Array[] | undefined, damaged: ReadonlyMap<string, string>): string | undefined {
  for (const id of content ?? []) {
    const why = damaged.get(toHex(id));
    if (why !== undefined) return `cannot be read: ${why}`;
  }
  return undefined;
}

/**
 * Reads a whole pack: its hash must be its name and every blob must decode to its id (a delta
 * through its base, read with loadBlob: a damaged base fails each of its deltas, by name; a group
 * decoded once for its members: a damaged group fails each member, by name, through onLostMember).
 */
async function verifyWholePack(
  repo: Pick<Repository, 'backend' | 'index' | 'zstd' | 'loadBlob'>,
  hex: string,
  where: string,
  onLostBase: (error: CairnError) => void,
  onLostMember: (id: Uint8Array, error: CairnError) => void,
): Promise<number> {
  const bytes = await repo.backend.read('data', hex);
  const blobs = decodePack(bytes, where);
  let lost = 0;
  const groups = new Map<number, Uint8Array | CairnError>();
  for (const blob of blobs) {
    const blobWhere = `${blob.type} blob ${toHex(blob.id)} in ${where}`;
    if (blob.codec === 'group') {
      const stored = bytes.subarray(blob.offset, blob.offset + blob.length);
      let group = groups.get(blob.offset);
      if (group === undefined) {
        try {
          group = decodeGroup(stored, blob.groupRaw ?? 0, repo.zstd, '');
        } catch (error) {
          if (!isCairnError(error)) throw error;
          group = error;
        }
        groups.set(blob.offset, group);
      }
      try {
        if (group instanceof CairnError) throw new CairnError(group.code, `${blobWhere}: its group does not decode${group.message}`);
        unpackBlob(stored, blob, repo, blobWhere, undefined, undefined, group);
      } catch (error) {
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT' || error.code === 'ERR_ABORTED') throw error;
        onLostMember(blob.id, error);
        lost += 1;
      }
      continue;
    }
    let base: Uint8Array | undefined;
    if (blob.base !== undefined) {
      try {
        base = await repo.loadBlob(blob.base, 'data');
      } catch (error) {
        if (!isCairnError(error) || error.code === 'ERR_TRANSIENT' || error.code === 'ERR_ABORTED') throw error;
        // The damage is the base's (its own pack reports it); each delta standing on it is named too, and the pack read on.
        onLostBase(baseFailure(blobWhere, blob.base, error));
        lost += 1;
        continue;
      }
    }
    unpackBlob(bytes.subarray(blob.offset, blob.offset + blob.length), blob, repo, blobWhere, undefined, base);
  }
  checkContentName(repo.backend, bytes, hex, where);
  compareWithIndex(repo, hex, blobs, where);
  return blobs.length - lost;
}

/** The index must place each of the pack's blobs where the pack header does. */
function compareWithIndex(repo: IndexLookup, hex: string, blobs: readonly PackedBlob[], where: string): void {
  for (const blob of blobs) {
    const location = repo.index.lookup(blob.id);
    if (location === undefined || toHex(location.packId) !== hex) continue; // a duplicate indexed elsewhere
    if (location.offset !== blob.offset || location.length !== blob.length) {
      throw new CairnError('ERR_INTEGRITY', `${where}: blob ${toHex(blob.id)} is at ${blob.offset}+${blob.length} in the pack but at ${location.offset}+${location.length} in the index`);
    }
  }
}
