import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError, toHex } from '@cairn/core';
import type { Id } from '@cairn/core';
import { decodeConfig } from '@cairn/index';
import { backup, check, diffContent, diffSnapshots, dumpArchive, dumpFile, grep, initRepository, openRepository, restore } from '@cairn/repository';
import type { DiffChange, GrepHit } from '@cairn/repository';
import { forget, prune } from '@cairn/repository/maintenance';
import type { Repository } from '@cairn/repository';
import { packFileName } from '@cairn/repository/testing';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { flipByte, seededBytes, tempDir } from './helpers.js';
import { deltaDepth, MAX_DELTA_DEPTH } from '../src/repo/delta-chain.js';
import { RESTORE_LIMITS, writeByPosition } from '../src/restore/file-writer.js';
import type { WriterLimits } from '../src/restore/file-writer.js';
import { RestoreContext } from '../src/restore/restore-context.js';
import { planRestore } from '../src/restore/restore-plan.js';
import { findSnapshot } from '../src/repo/snapshots.js';

const FAST_KDF = { N: 1024, r: 8, p: 1 };

/** Text-like lines drawn from a seed (about 40 bytes each), so small edits keep most of a file. */
function sourceText(lines: number, seed: number): string[] {
  const bytes = seededBytes(lines * 8 + 8, seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i += 1) out.push(`line ${i}: value ${bytes.readUInt32LE(i * 8).toString(36)} ${bytes.readUInt32LE(i * 8 + 4).toString(16)};`);
  return out;
}

/** Version `v` of a text: a few lines edited per version (version 0 is the text itself). */
function edited(base: readonly string[], v: number, salt = 0): string {
  const lines = [...base];
  for (let k = 1; k <= v; k += 1) lines[(k * 7919 + salt * 104_729) % lines.length] = `edited in version ${k}.${salt}: ${'x'.repeat(k)}`;
  return `${lines.join('\n')}\n`;
}

const BASE = sourceText(4000, 11); // about 160 KB: one chunk

async function backUpVersions(repo: Repository, source: string, versions: number, options: { deltas?: boolean; extra?: (v: number) => Promise<void> } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let v = 0; v < versions; v += 1) {
    await writeFile(join(source, 'file.txt'), edited(BASE, v));
    await options.extra?.(v);
    const result = await backup(repo, { source: createLocalSource(), paths: [source], time: new Date(Date.UTC(2026, 0, 1 + v)), ...(options.deltas === undefined ? {} : { deltas: options.deltas }) });
    ids.push(result.id);
  }
  return ids;
}

function deltas(repo: Repository): { id: Id; base: Id }[] {
  const found: { id: Id; base: Id }[] = [];
  for (const [id, location] of repo.index.entries()) if (location.base !== undefined) found.push({ id, base: location.base });
  return found;
}

/** Restores `snapshotId` into `out` with `limits`; the result and how many delta bases were decoded. */
async function restoreCounting(repo: Repository, snapshotId: string, out: string, limits: WriterLimits): Promise<{ ctx: RestoreContext; basesDecoded: number }> {
  const ctx = new RestoreContext(repo, { target: createLocalTarget(out) }, {
    snapshotId, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, checkedOut: 0, bytesWritten: 0, problems: [], notRestored: [],
  });
  const plan = await planRestore(ctx, (await findSnapshot(repo, snapshotId)).snapshot.tree);
  await writeByPosition(ctx, plan.files, limits);
  return { ctx, basesDecoded: plan.files.blobs.bases.decoded };
}

async function sourceFolder(work: string): Promise<string> {
  const source = join(work, 'src');
  await mkdir(source, { recursive: true });
  return source;
}

describe('delta blobs', () => {
  it('round trip across 10 versions of a file with small edits: each later version is a small delta; restore and check --read-data are exact', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    expect(repo.config).toMatchObject({ version: 3, deltas: true });
    const ids = await backUpVersions(repo, source, 10);
    const found = deltas(repo);
    expect(found.length).toBeGreaterThanOrEqual(8);
    for (const { id } of found) {
      const location = repo.index.lookup(id)!;
      expect(location.length * 20).toBeLessThan(location.rawLength); // a few edited lines against 160 KB
    }
    const reopened = await openRepository(createLocalBackend(join(work, 'repo')));
    for (let v = 0; v < 10; v += 1) {
      const out = join(work, `out-${v}`);
      const result = await restore(reopened, ids[v]!, { target: createLocalTarget(out) });
      expect(result.problems).toEqual([]);
      expect(await readFile(join(out, 'src', 'file.txt'), 'utf8')).toBe(edited(BASE, v));
    }
    expect((await check(reopened, { readData: true })).problems).toEqual([]);
  });

  it('a file renamed within its folder (same inode) and edited is a delta on its old name\'s version; one with a new inode under a new name is not', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    await writeFile(join(source, 'old.txt'), edited(BASE, 0));
    await writeFile(join(source, 'other.txt'), edited(sourceText(4000, 12), 0));
    const at = (v: number): Date => new Date(Date.UTC(2026, 0, 1 + v));
    await backup(repo, { source: createLocalSource(), paths: [source], time: at(0) });
    // A rename keeps the inode; the edit is made in place (writeFile truncates, the inode stays).
    await rename(join(source, 'old.txt'), join(source, 'new.txt'));
    await writeFile(join(source, 'new.txt'), edited(BASE, 3));
    const renamed = await backup(repo, { source: createLocalSource(), paths: [source], time: at(1) });
    expect(deltas(repo)).toHaveLength(1);
    // Its base is the old name's content (one chunk; an unencrypted repository's ids are SHA-256 of the content).
    expect(toHex(deltas(repo)[0]!.base)).toBe(createHash('sha256').update(edited(BASE, 0)).digest('hex'));
    // A new file under a new name (a new inode; the old name gone) gets no base: nothing to match it by.
    await writeFile(join(source, 'fresh.txt'), edited(sourceText(4000, 12), 2));
    await rm(join(source, 'other.txt'));
    await backup(repo, { source: createLocalSource(), paths: [source], time: at(2) });
    expect(deltas(repo)).toHaveLength(1);
    const out = join(work, 'out');
    expect((await restore(repo, renamed.id, { target: createLocalTarget(out) })).problems).toEqual([]);
    expect(await readFile(join(out, 'src', 'new.txt'), 'utf8')).toBe(edited(BASE, 3));
    expect((await check(repo, { readData: true })).problems).toEqual([]);
  });

  it('keeps chains at most MAX_DELTA_DEPTH deep (version 2 a delta on version 1, every later one a delta on version 2), and a restore decodes at most that many bases per chunk, each once (main thread and worker)', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const ids = await backUpVersions(repo, source, 10);
    const chunkOf = async (snapshot: string): Promise<Id> => {
      const { snapshot: s } = await findSnapshot(repo, snapshot);
      const root = await repo.loadTree(s.tree, 'root');
      const folder = await repo.loadTree(root[0]!.subtree!, 'src');
      return folder.find((node) => node.name === 'file.txt')!.content![0]!;
    };
    const first = toHex(await chunkOf(ids[0]!));
    const second = toHex(await chunkOf(ids[1]!));
    expect(MAX_DELTA_DEPTH).toBe(2);
    expect(deltas(repo)).toHaveLength(9);
    for (const { id, base } of deltas(repo)) {
      expect(deltaDepth(repo.index, id)).toBeLessThanOrEqual(MAX_DELTA_DEPTH);
      // Version 2 stands on version 1; every later one on version 2 (the parent's chunk, two deep, lends its base).
      expect(toHex(base)).toBe(toHex(id) === second ? first : second);
    }
    const limits: WriterLimits[] = [
      { ...RESTORE_LIMITS, decodeThreads: 0 },
      { ...RESTORE_LIMITS, maxStepBytes: 65_536, decodeThreads: 1, decodeThreadsFrom: 0 },
    ];
    for (const [i, limit] of limits.entries()) {
      for (let v = 0; v < 10; v += 1) {
        const out = join(work, `out-${i}-${v}`);
        const { ctx, basesDecoded } = await restoreCounting(repo, ids[v]!, out, limit);
        expect(ctx.result.problems).toEqual([]);
        expect(await readFile(join(out, 'src', 'file.txt'), 'utf8')).toBe(edited(BASE, v));
        // One chunk: the delta itself plus its bases, never more than MAX_DELTA_DEPTH + 1 frames.
        expect(basesDecoded).toBe(deltaDepth(repo.index, await chunkOf(ids[v]!)));
        expect(basesDecoded).toBeLessThanOrEqual(MAX_DELTA_DEPTH);
      }
    }
  });

  it('reads a base once for all the deltas that stand on it', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    for (const name of ['a', 'b', 'c']) await writeFile(join(source, `${name}.txt`), edited(BASE, 0));
    await backup(repo, { source: createLocalSource(), paths: [source] });
    for (const [i, name] of ['a', 'b', 'c'].entries()) await writeFile(join(source, `${name}.txt`), edited(BASE, 2, i + 1));
    const second = await backup(repo, { source: createLocalSource(), paths: [source] });
    expect(deltas(repo)).toHaveLength(3);
    expect(new Set(deltas(repo).map(({ base }) => toHex(base))).size).toBe(1);
    const out = join(work, 'out');
    const { ctx, basesDecoded } = await restoreCounting(repo, second.id, out, { ...RESTORE_LIMITS, maxStepBytes: 4096, maxReadBytes: 2048, decodeThreads: 0 });
    expect(ctx.result.problems).toEqual([]);
    expect(basesDecoded).toBe(1);
    for (const [i, name] of ['a', 'b', 'c'].entries()) expect(await readFile(join(out, 'src', `${name}.txt`), 'utf8')).toBe(edited(BASE, 2, i + 1));
  });

  it('a base forgotten and pruned while deltas depend on it: prune keeps it (also when it repacks), nothing is lost', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    // An unrelated file per version that changes whole, so packs are partly unused after the forget and get repacked.
    const ids = await backUpVersions(repo, source, 8, { extra: (v) => writeFile(join(source, 'noise.bin'), seededBytes(40_000, 100 + v)) });
    const depending = deltas(repo);
    expect(depending.length).toBeGreaterThan(0);
    await forget(repo, { snapshots: ids.slice(0, 4) });
    const pruned = await prune(repo, { maxUnused: 0, graceMs: 0 });
    expect(pruned.marked.repacked.packs).toBeGreaterThan(0); // the packs holding forgotten noise and kept bases
    expect(pruned.deleted.packs).toBeGreaterThan(0);
    const reopened = await openRepository(createLocalBackend(join(work, 'repo')));
    // Every base a kept delta needs is still there.
    for (const { id, base } of deltas(reopened)) {
      expect(reopened.index.lookup(base), `base of ${toHex(id)}`).toBeDefined();
    }
    for (let v = 4; v < 8; v += 1) {
      const out = join(work, `out-${v}`);
      const result = await restore(reopened, ids[v]!, { target: createLocalTarget(out) });
      expect(result.problems).toEqual([]);
      expect(await readFile(join(out, 'src', 'file.txt'), 'utf8')).toBe(edited(BASE, v));
      expect(await readFile(join(out, 'src', 'noise.bin'))).toEqual(seededBytes(40_000, 100 + v));
    }
    expect((await check(reopened, { readData: true })).problems).toEqual([]);
  });

  it('a corrupted base makes every file whose delta stands on it fail by name; the rest restores', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir));
    for (const name of ['a', 'b']) await writeFile(join(source, `${name}.txt`), edited(BASE, 0));
    await writeFile(join(source, 'other.txt'), edited(sourceText(3000, 99), 0));
    await backup(repo, { source: createLocalSource(), paths: [source] });
    for (const [i, name] of ['a', 'b'].entries()) await writeFile(join(source, `${name}.txt`), edited(BASE, 3, i + 1));
    await writeFile(join(source, 'other.txt'), edited(sourceText(3000, 99), 1));
    const second = await backup(repo, { source: createLocalSource(), paths: [source] });
    const found = deltas(repo);
    const base = found[0]!.base;
    expect(found.filter((d) => toHex(d.base) === toHex(base))).toHaveLength(2);
    const location = repo.index.lookup(base)!;
    await flipByte(join(repoDir, packFileName(location.packId)), location.offset + Math.floor(location.length / 2));

    const reopened = await openRepository(createLocalBackend(repoDir));
    for (const limits of [{ ...RESTORE_LIMITS, decodeThreads: 0 }, { ...RESTORE_LIMITS, decodeThreads: 1, decodeThreadsFrom: 0 }]) {
      const out = join(work, `out-${limits.decodeThreads}`);
      const { ctx } = await restoreCounting(reopened, second.id, out, limits);
      expect(ctx.result.problems.map((p) => p.path).sort()).toEqual(['src/a.txt', 'src/b.txt']);
      for (const problem of ctx.result.problems) expect(problem.message).toContain(`base data blob ${toHex(base)}`);
      expect(await readFile(join(out, 'src', 'other.txt'), 'utf8')).toBe(edited(sourceText(3000, 99), 1));
    }
    const checked = await check(reopened, { readData: true });
    const text = checked.problems.map((p) => p.message).join('\n');
    expect(text).toContain(toHex(base));
    for (const d of found.filter((x) => toHex(x.base) === toHex(base))) expect(text).toContain(toHex(d.id));
  });

  it('an encrypted repository stores and reads deltas too', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repoDir = join(work, 'repo');
    const repo = await initRepository(createLocalBackend(repoDir), { encryption: 'aes-256-gcm', password: 'pw', kdf: FAST_KDF });
    const ids = await backUpVersions(repo, source, 4);
    expect(deltas(repo).length).toBe(3);
    const reopened = await openRepository(createLocalBackend(repoDir), { password: async () => 'pw' });
    expect(reopened.config).toMatchObject({ version: 3, deltas: true, encryption: 'aes-256-gcm' });
    for (let v = 0; v < 4; v += 1) {
      const out = join(work, `out-${v}`);
      const result = await restore(reopened, ids[v]!, { target: createLocalTarget(out) });
      expect(result.problems).toEqual([]);
      expect(await readFile(join(out, 'src', 'file.txt'), 'utf8')).toBe(edited(BASE, v));
    }
    expect((await check(reopened, { readData: true })).problems).toEqual([]);
  });

  it('mixed repositories: --no-delta and a version-1 repository store no delta; a version-1 reader refuses a delta repository naming the version', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    await backUpVersions(repo, source, 3, { deltas: false });
    expect(deltas(repo)).toEqual([]);

    const old = await initRepository(createLocalBackend(join(work, 'old')), { deltas: false, groups: false });
    expect(old.config.version).toBe(1);
    expect(old.config.deltas).toBeUndefined();
    const ids = await backUpVersions(old, source, 3);
    expect(deltas(old)).toEqual([]);
    const configText = await readFile(join(work, 'old', 'config'), 'utf8');
    expect(JSON.parse(configText)).toMatchObject({ version: 1 });
    expect(JSON.parse(configText)).not.toHaveProperty('deltas');
    const restored = await restore(old, ids[2]!, { target: createLocalTarget(join(work, 'out')) });
    expect(restored.problems).toEqual([]);

    // A delta repository's config is version 2 or more (3 with groups, the default): a reader of version 1 (checkFormatVersion with newest 1, as cairn before deltas) refuses it.
    const { checkFormatVersion } = await import('../../index/src/format-version.js');
    const newConfig = JSON.parse(await readFile(join(work, 'repo', 'config'), 'utf8')) as { version: number };
    expect(newConfig.version).toBe(3);
    let refused: unknown;
    try {
      checkFormatVersion(newConfig.version, 'repo/config', 1);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CairnError);
    expect((refused as CairnError).code).toBe('ERR_VERSION');
    expect((refused as CairnError).message).toBe('repo/config has format version 3; this cairn reads version 1');
    // deltas without version 2 is malformed.
    const bad = new TextEncoder().encode(JSON.stringify({ ...JSON.parse(configText), deltas: true }));
    expect(() => decodeConfig(bad, 'old/config')).toThrow(/version is 1, expected 2 or more \(the config has deltas\)/);
  });

  it('dump (one file and a tar archive), grep and diff read deltas through loadBlob', async () => {
    const work = await tempDir();
    const source = await sourceFolder(work);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const ids = await backUpVersions(repo, source, 3);
    expect(deltas(repo)).toHaveLength(2);
    const reopened = await openRepository(createLocalBackend(join(work, 'repo')));
    const parts: Uint8Array[] = [];
    for await (const part of dumpFile(reopened, ids[2]!, 'src/file.txt')) parts.push(part);
    expect(Buffer.concat(parts).toString('utf8')).toBe(edited(BASE, 2));
    const tar: Uint8Array[] = [];
    for await (const part of dumpArchive(reopened, ids[2]!, [], { format: 'tar' })) tar.push(part);
    const unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    execFileSync('tar', ['-x', '-C', unpacked], { input: Buffer.concat(tar) });
    expect(await readFile(join(unpacked, 'src', 'file.txt'), 'utf8')).toBe(edited(BASE, 2));
    const found: GrepHit[] = [];
    await grep(reopened, { pattern: 'edited in version 2' }, (hit) => found.push(hit));
    expect(found.map((hit) => hit.path)).toEqual(['src/file.txt']);
    expect(found[0]!.snapshots).toHaveLength(1);
    const diff = await diffSnapshots(reopened, { ref: ids[1]! }, { ref: ids[2]! });
    const change = diff.changes.find((c) => c.path === 'src/file.txt') as DiffChange;
    const patch = await diffContent(reopened, change);
    expect(patch.kind).toBe('text');
    expect((patch as { patch: string }).patch).toContain('+edited in version 2.0: xx');
  });
});
