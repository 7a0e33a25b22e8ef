import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { check, listSnapshots, openRepository, restore } from '@cairn/repository';
import { createLocalBackend, createLocalTarget } from '@cairn/transport';
import { tempDir } from './helpers.js';

const golden = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'golden-tree-v3');

interface Manifest {
  snapshot: string;
  files: { path: string[]; sha256: string; xattrs?: Record<string, string> }[];
  folder: { path: string[]; xattrs: Record<string, string> };
  link: { path: string[]; target: string };
}

/** The path below `root` of names given as hex bytes. */
const at = (root: string, names: readonly string[]): Buffer =>
  Buffer.concat([Buffer.from(root), ...names.flatMap((name) => [Buffer.from('/'), Buffer.from(name, 'hex')])]);

/** The extended attributes of `path` as name → hex (read by Python, an independent implementation). */
function xattrsOf(path: Buffer): Record<string, string> {
  const script = 'import os, sys, json; p = bytes.fromhex(sys.argv[1]); print(json.dumps({n: os.getxattr(p, n).hex() for n in os.listxattr(p)}))';
  return JSON.parse(execFileSync('python3', ['-c', script, path.toString('hex')], { encoding: 'utf8' })) as Record<string, string>;
}

describe('golden repository with tree file version 3 (names that are not UTF-8, extended attributes)', () => {
  it('still opens, checks clean, and restores names, a link target and extended attributes byte for byte', async () => {
    const manifest = JSON.parse(readFileSync(join(golden, 'manifest.json'), 'utf8')) as Manifest;
    const work = await tempDir();
    cpSync(join(golden, 'repo'), join(work, 'repo'), { recursive: true });
    const repo = await openRepository(createLocalBackend(join(work, 'repo')));
    expect((await check(repo, { readData: true })).problems).toEqual([]);
    const { snapshots } = await listSnapshots(repo);
    expect(snapshots.map((s) => s.id)).toEqual([manifest.snapshot]);

    const out = join(work, 'out');
    const restored = await restore(repo, manifest.snapshot, { target: createLocalTarget(out) });
    expect(restored.problems).toEqual([]);
    const root = join(out, 'names');
    expect(readdirSync(root, { encoding: 'buffer' }).length).toBe(5);
    for (const file of manifest.files) {
      const path = at(root, file.path);
      expect(createHash('sha256').update(readFileSync(path)).digest('hex'), file.path.join('/')).toBe(file.sha256);
      expect(xattrsOf(path)).toEqual(file.xattrs ?? {});
    }
    expect(xattrsOf(at(root, manifest.folder.path))).toEqual(manifest.folder.xattrs);
    expect(readlinkSync(at(root, manifest.link.path), { encoding: 'buffer' }).toString('hex')).toBe(manifest.link.target);
  });
});
