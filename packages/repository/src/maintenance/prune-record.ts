import { hostname } from 'node:os';
import { CairnError, isCairnError, isHexId, toHex } from '@cairn/core';
import type { Backend } from '@cairn/core';
import { contentIds } from '../repo/content-ids.js';
import { writeLockTypeFile } from '../locks/lock-files.js';

/** Why prune marked a pack: no snapshot uses it, its used blobs were copied elsewhere, or no index names it. */
export type PendingReason = 'unused' | 'repacked' | 'unindexed';

/** A pack a prune marked for deletion. */
export interface PendingPack {
  /** Hex id. */
  readonly id: string;
  readonly size: number;
  readonly reason: PendingReason;
}

/** A deletion record (locks/pending-<sha256>): the packs one prune marked, and when. */
export interface PruneRecord {
  readonly name: string;
  /** When the mark was made, ms since 1970 (by the marking host's clock). */
  readonly created: number;
  readonly host: string;
  readonly packs: readonly PendingPack[];
}

const PREFIX = 'pending-';
const REASONS: readonly PendingReason[] = ['unused', 'repacked', 'unindexed'];

/** Writes a deletion record for `packs` (named by its hash) and returns it. */
export async function writePruneRecord(backend: Backend, packs: readonly PendingPack[], now = Date.now()): Promise<PruneRecord> {
  const host = hostname();
  const bytes = new TextEncoder().encode(JSON.stringify({
    v: 1, kind: 'prune-pending', created: new Date(now).toISOString(), host, pid: process.pid,
    packs: packs.map((pack) => ({ id: pack.id, size: pack.size, reason: pack.reason })),
  }));
  const name = `${PREFIX}${toHex(contentIds(backend).id(bytes))}`;
  await writeLockTypeFile(backend, name, bytes);
  return { name, created: now, host, packs };
}

/** Every deletion record, oldest first, and the names of records that cannot be read. */
export async function readPruneRecords(backend: Backend): Promise<{ records: PruneRecord[]; damaged: string[] }> {
  const records: PruneRecord[] = [];
  const damaged: string[] = [];
  for await (const file of backend.list('lock')) {
    if (!file.name.startsWith(PREFIX)) continue;
    try {
      records.push(decodeRecord(backend, file.name, await backend.read('lock', file.name)));
    } catch (error) {
      if (isCairnError(error, 'ERR_NOT_FOUND')) continue; // swept meanwhile
      if (!isCairnError(error, 'ERR_FORMAT') && !isCairnError(error, 'ERR_INTEGRITY')) throw error;
      damaged.push(file.name);
    }
  }
  records.sort((a, b) => a.created - b.created || a.name.localeCompare(b.name));
  return { records, damaged };
}

function decodeRecord(backend: Backend, name: string, bytes: Uint8Array): PruneRecord {
  const where = `locks/${name}`;
  const bad = (what: string): CairnError => new CairnError('ERR_FORMAT', `${where} is not a prune record: ${what}`);
  if (`${PREFIX}${toHex(contentIds(backend).id(bytes))}` !== name) throw new CairnError('ERR_INTEGRITY', `${where} is damaged: its content does not match its name`);
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch {
    throw bad('it is not JSON');
  }
  if (typeof value !== 'object' || value === null || value['v'] !== 1 || value['kind'] !== 'prune-pending') throw bad('no "v": 1, "kind": "prune-pending"');
  const created = Date.parse(String(value['created']));
  const host = value['host'];
  const packs = value['packs'];
  if (Number.isNaN(created) || typeof host !== 'string' || !Array.isArray(packs)) throw bad('created, host or packs is missing');
  return {
    name,
    created,
    host,
    packs: packs.map((pack: unknown, i) => {
      const p = pack as Record<string, unknown>;
      const id = p?.['id'];
      const size = p?.['size'];
      const reason = p?.['reason'];
      if (typeof id !== 'string' || !isHexId(id) || !Number.isSafeInteger(size) || !REASONS.includes(reason as PendingReason)) throw bad(`packs[${i}] is malformed`);
      return { id, size: size as number, reason: reason as PendingReason };
    }),
  };
}
