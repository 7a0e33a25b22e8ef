import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestTree, firstDifference } from '../src/tree-digest.js';
import { tempDir } from './temp-dir.js';

function tree(root: string): void {
  mkdirSync(join(root, 'a', 'empty'), { recursive: true });
  writeFileSync(join(root, 'a', 'one.txt'), 'one\n');
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(3 << 20, 5));
  symlinkSync('a/one.txt', join(root, 'link'));
}

describe('digestTree', () => {
  it('counts and hashes a tree, equal for an equal copy', async () => {
    const dir = await tempDir();
    tree(join(dir, 'x'));
    tree(join(dir, 'y'));
    const [x, y] = [await digestTree(join(dir, 'x')), await digestTree(join(dir, 'y'))];
    expect(x).toMatchObject({ files: 2, dirs: 2, symlinks: 1, bytes: 4 + (3 << 20) });
    expect(y.hash).toBe(x.hash);
    expect(firstDifference(x, y)).toBeUndefined();
  });

  it('sees one changed byte, a missing empty folder and another link target, and names the path', async () => {
    const dir = await tempDir();
    tree(join(dir, 'x'));
    const x = await digestTree(join(dir, 'x'));
    for (const [name, damage, path] of [
      ['byte', (r: string) => writeFileSync(join(r, 'big.bin'), Buffer.concat([Buffer.alloc((3 << 20) - 1, 5), Buffer.from([6])])), 'big.bin'],
      ['folder', (r: string) => rmSync(join(r, 'a', 'empty'), { recursive: true }), 'a/empty'],
      ['link', (r: string) => { rmSync(join(r, 'link')); symlinkSync('big.bin', join(r, 'link')); }, 'link'],
    ] as const) {
      const root = join(dir, name);
      tree(root);
      damage(root);
      const d = await digestTree(root);
      expect(d.hash, name).not.toBe(x.hash);
      expect(firstDifference(x, d), name).toContain(path);
    }
  });
});
