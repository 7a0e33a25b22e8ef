import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameToBytes } from '@cairn/core';
import { backup, check, initRepository, restore } from '@cairn/repository';
import { createProjectSelector } from '@cairn/vcs/selector';
import { createLocalBackend, createLocalSource, createLocalTarget, nativeFs } from '@cairn/transport';
import { tempDir } from './helpers.js';

/** Bytes 66 ff 6f: "f", a byte that is not UTF-8, "o". */
const RAW = Buffer.from([0x66, 0xff, 0x6f]);
/** "../été" in Latin-1: not UTF-8. */
const RAW_TARGET = Buffer.from([0x2e, 0x2e, 0x2f, 0xe9, 0x74, 0xe9]);

/** A path below `dir` made of raw name bytes. */
export function rawPath(dir: string, ...names: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(dir), ...names.flatMap((name) => [Buffer.from('/'), name])]);
}

/** A tree with a file and a folder named by bytes that are not UTF-8, a file inside, and a symlink whose target is not UTF-8. */
export function buildRawTree(root: string): void {
  mkdirSync(root, { recursive: true });
  mkdirSync(rawPath(root, RAW));
  writeFileSync(rawPath(root, RAW, RAW), 'inside a raw folder\n');
  writeFileSync(rawPath(root, Buffer.concat([RAW, Buffer.from('.txt')])), 'raw file\n');
  symlinkSync(RAW_TARGET, rawPath(root, Buffer.from('link')));
  writeFileSync(join(root, 'plain.txt'), 'plain\n');
}

/** Every entry below `root` by its name's bytes (hex): type, and content hash or link target bytes. */
export function describeBytes(root: string | Buffer): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: Buffer, rel: string): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      const key = `${rel}/${name.toString('hex')}`;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.set(key, `symlink ${readlinkSync(full, { encoding: 'buffer' }).toString('hex')}`);
      else if (st.isDirectory()) {
        out.set(key, 'dir');
        visit(full, key);
      } else out.set(key, `file ${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
    }
  };
  visit(Buffer.from(root), '');
  return out;
}

describe('names that are not valid UTF-8', () => {
  it('are backed up and restored with their bytes, a symlink target too, and check is clean', async () => {
    const work = await tempDir();
    const source = join(work, 'src');
    buildRawTree(source);
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const result = await backup(repo, { source: createLocalSource(), paths: [source] });
    // Without the native folder calls, only the extended attributes of a file whose own name is not
    // UTF-8 cannot be read (the attribute module takes string paths): said, but the backup is complete.
    // The native calls take names as bytes: nothing to say.
    const unreachable = nativeFs() === null ? [Buffer.concat([RAW, Buffer.from('/'), RAW]), Buffer.concat([RAW, Buffer.from('.txt')])] : [];
    expect(result.warnings.map((w) => [w.kind, Buffer.from(nameToBytes(w.path)).subarray(source.length + 1).toString('hex')])).toEqual(unreachable.map((name) => ['special', name.toString('hex')]));
    if (nativeFs() === null) expect(result.warnings[0]?.message).toContain('extended attributes cannot be reached');
    expect(result.partial).toBe(false);
    const out = join(work, 'out');
    const restored = await restore(repo, result.id, { target: createLocalTarget(out) });
    expect(restored.problems).toEqual([]);
    const want = describeBytes(source);
    expect(want.size).toBe(5);
    expect([...describeBytes(join(out, 'src'))]).toEqual([...want]);
    expect(readlinkSync(rawPath(out, Buffer.from('src'), Buffer.from('link')), { encoding: 'buffer' })).toEqual(RAW_TARGET);
    expect((await check(repo, { readData: true })).problems).toEqual([]);
    // The next backup finds the folder unchanged (same tree) and reads nothing again.
    const again = await backup(repo, { source: createLocalSource(), paths: [source] });
    expect(again.snapshot.tree).toEqual(result.snapshot.tree);
    expect(again.snapshot.summary.filesUnchanged).toBe(3);
  });
});

describe('names that are not valid UTF-8 under a policy', () => {
  it('a skipped one is listed (its bytes that are not UTF-8 shown as U+FFFD) and the backup completes', async () => {
    const work = await tempDir();
    const root = join(work, 'web');
    mkdirSync(root);
    writeFileSync(join(root, 'package.json'), '{}');
    writeFileSync(join(root, '.gitignore'), '*.tmp\n');
    writeFileSync(rawPath(root, Buffer.concat([RAW, Buffer.from('.tmp')])), 'ignored');
    writeFileSync(rawPath(root, Buffer.concat([RAW, Buffer.from('.ts')])), 'kept');
    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const result = await backup(repo, { source: createLocalSource(), paths: [root], selector: createProjectSelector({ roots: [root], vcs: 'full', policy: () => ({}) }) });
    expect(result.snapshot.skipped?.map((entry) => entry.path)).toEqual(['/web/f\ufffdo.tmp']);
    const [top] = await repo.loadTree(result.snapshot.tree, 'root');
    const names = (await repo.loadTree(top!.subtree!, 'web')).map((node) => Buffer.from(nameToBytes(node.name)));
    expect(names).toContainEqual(Buffer.concat([RAW, Buffer.from('.ts')]));
    expect(names).not.toContainEqual(Buffer.concat([RAW, Buffer.from('.tmp')]));
  });
});
