import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, check, initRepository, listSnapshot, restore } from '@cairn/repository';
import { createLocalBackend, createLocalSource, createLocalTarget } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';

const MiB = 1024 * 1024;

/** Runs Python's os.*xattr (an independent implementation) on `path`, not following a symlink. */
function python(script: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', `import os, sys\n${script}`, ...args], { encoding: 'utf8' });
}

/** Sets the extended attribute `name` of `path` to `value`. */
function setAttribute(path: string, name: string, value: string | Buffer): void {
  python('os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), follow_symlinks=False)', path, name, Buffer.from(value).toString('hex'));
}

/** Every attribute of `path` as name=hex, sorted. */
function attributes(path: string): string[] {
  const script = 'for n in sorted(os.listxattr(sys.argv[1], follow_symlinks=False)): print(n + "=" + os.getxattr(sys.argv[1], n, follow_symlinks=False).hex())';
  return python(script, path).split('\n').filter((line) => line !== '');
}

/** Whether the filesystem lets this process put `name` on a symlink (Linux allows user.* only on files and folders). */
function symlinkTakes(path: string, name: string): boolean {
  try {
    execFileSync('python3', ['-c', 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], b"link", follow_symlinks=False)', path, name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('extended attributes', () => {
  it('come back on files, folders and (where the OS allows) symlinks; a changed one alone is recorded by the next backup', async () => {
    const work = await tempDir();
    const source = join(work, 'src');
    mkdirSync(join(source, 'folder'), { recursive: true });
    writeFileSync(join(source, 'a.txt'), 'a');
    writeFileSync(join(source, 'folder', 'b.bin'), seededBytes(3 * MiB, 5));
    writeFileSync(join(source, 'plain.txt'), 'no attributes');
    setAttribute(join(source, 'a.txt'), 'user.comment', 'hello');
    setAttribute(join(source, 'a.txt'), 'user.binary', Buffer.from([0, 255, 1]));
    setAttribute(join(source, 'folder'), 'user.folder', 'kept');
    setAttribute(join(source, 'folder', 'b.bin'), 'user.big', Buffer.alloc(2000, 7));
    symlinkSync('a.txt', join(source, 'link'));
    // Linux refuses user.* on a symlink; trusted.* works for root.
    const linkName = ['user.link', 'trusted.link'].find((name) => symlinkTakes(join(source, 'link'), name));

    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const first = await backup(repo, { source: createLocalSource(), paths: [source] });
    expect(first.warnings).toEqual([]);
    const out = join(work, 'out');
    const restored = await restore(repo, first.id, { target: createLocalTarget(out) });
    expect(restored.problems).toEqual([]);
    for (const rel of ['a.txt', 'folder', 'folder/b.bin', 'plain.txt', 'link']) {
      expect(attributes(join(out, 'src', rel)), rel).toEqual(attributes(join(source, rel)));
    }
    expect(attributes(join(out, 'src', 'a.txt'))).toEqual(['user.binary=00ff01', 'user.comment=68656c6c6f']);
    if (linkName !== undefined) expect(attributes(join(out, 'src', 'link'))).toEqual([`${linkName}=6c696e6b`]);
    expect(readFileSync(join(out, 'src', 'folder', 'b.bin')).equals(readFileSync(join(source, 'folder', 'b.bin')))).toBe(true);
    expect((await check(repo, { readData: true })).problems).toEqual([]);

    // Unchanged: the same tree. One attribute changed, nothing else: a new tree that holds it.
    const same = await backup(repo, { source: createLocalSource(), paths: [source] });
    expect(same.snapshot.tree).toEqual(first.snapshot.tree);
    setAttribute(join(source, 'folder', 'b.bin'), 'user.big', 'changed');
    const changed = await backup(repo, { source: createLocalSource(), paths: [source] });
    expect(changed.snapshot.tree).not.toEqual(first.snapshot.tree);
    const entries: { path: string; node: { xattrs?: readonly { name: string; value: Uint8Array }[] } }[] = [];
    for await (const entry of listSnapshot(repo, changed.id)) entries.push(entry);
    const big = entries.find((entry) => entry.path === 'src/folder/b.bin');
    expect(big?.node.xattrs?.map((x) => [x.name, Buffer.from(x.value).toString()])).toEqual([['user.big', 'changed']]);

    // A target that cannot hold them: every other byte is restored, and each entry that had some is named.
    const { setXattrs: _, ...plain } = createLocalTarget(join(work, 'plain'));
    const partial = await restore(repo, changed.id, { target: plain });
    expect(partial.files).toBe(3);
    expect(partial.problems.map((problem) => problem.path).sort()).toEqual(['src/a.txt', 'src/folder', 'src/folder/b.bin', ...(linkName === undefined ? [] : ['src/link'])]);
    expect(partial.problems[0]?.message).toContain('extended attributes not restored');
  });
});

describe('sparse files', () => {
  it('come back sparse with identical bytes', async () => {
    const work = await tempDir();
    const source = join(work, 'src');
    mkdirSync(source);
    const size = 64 * MiB;
    const data = seededBytes(MiB, 9);
    const fd = openSync(join(source, 'sparse.img'), 'w');
    ftruncateSync(fd, size);
    writeSync(fd, data, 0, data.byteLength, 31 * MiB);
    closeSync(fd);
    expect(statSync(join(source, 'sparse.img')).blocks * 512).toBeLessThan(2 * MiB);

    const repo = await initRepository(createLocalBackend(join(work, 'repo')));
    const saved = await backup(repo, { source: createLocalSource(), paths: [source] });
    const out = join(work, 'out');
    const restored = await restore(repo, saved.id, { target: createLocalTarget(out) });
    expect(restored.problems).toEqual([]);
    const stat = statSync(join(out, 'src', 'sparse.img'));
    expect(stat.size).toBe(size);
    expect(stat.blocks * 512).toBeLessThan(4 * MiB);
    expect(readFileSync(join(out, 'src', 'sparse.img')).equals(readFileSync(join(source, 'sparse.img')))).toBe(true);
  });
});
