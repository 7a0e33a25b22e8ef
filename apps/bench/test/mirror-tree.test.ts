import { lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mirrorTree } from '../src/mirror-tree.js';
import { digestTree } from '../src/tree-digest.js';
import { tempDir } from './temp-dir.js';

describe('mirrorTree', () => {
  it('turns one version into the next: same files kept as they are, changed ones written, gone ones removed', async () => {
    const dir = await tempDir();
    const v1 = join(dir, 'v1');
    const v2 = join(dir, 'v2');
    mkdirSync(join(v1, 'src', 'old'), { recursive: true });
    mkdirSync(join(v2, 'src'), { recursive: true });
    for (const v of [v1, v2]) writeFileSync(join(v, 'src', 'same.ts'), 'same\n');
    writeFileSync(join(v1, 'src', 'changed.ts'), 'one\n');
    writeFileSync(join(v2, 'src', 'changed.ts'), 'two\n');
    writeFileSync(join(v1, 'src', 'old', 'gone.ts'), 'gone\n');
    writeFileSync(join(v2, 'src', 'new.ts'), 'new\n');
    symlinkSync('same.ts', join(v2, 'src', 'link'));

    const work = join(dir, 'work');
    expect(await mirrorTree(v1, work)).toEqual({ written: 3, kept: 0, removed: 0 });
    expect((await digestTree(work)).hash).toBe((await digestTree(v1)).hash);
    const inode = statSync(join(work, 'src', 'same.ts')).ino;

    expect(await mirrorTree(v2, work)).toEqual({ written: 3, kept: 1, removed: 1 });
    expect((await digestTree(work)).hash).toBe((await digestTree(v2)).hash);
    expect(statSync(join(work, 'src', 'same.ts')).ino).toBe(inode);
    expect(readFileSync(join(work, 'src', 'changed.ts'), 'utf8')).toBe('two\n');
    expect(lstatSync(join(work, 'src', 'link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(work, 'src', 'link'))).toBe('same.ts');
  });
});
