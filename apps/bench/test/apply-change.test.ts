import { cpSync, linkSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySmallChange, CHANGED_FILES, INSERTED_BYTES } from '../src/apply-change.js';
import { generateCorpus } from '../src/generate-corpus.js';
import { digestTree } from '../src/tree-digest.js';
import { tempDir } from './temp-dir.js';

const params = { seed: 3, textBytes: 200_000, tinyFiles: 60, randomBytes: 100_000, largeBytes: 3_000_000 };

describe('applySmallChange', () => {
  it('makes the same change to two copies, edits, adds and removes files and grows the large file by 1 MiB', async () => {
    const dir = await tempDir();
    generateCorpus(join(dir, 'a'), params);
    cpSync(join(dir, 'a'), join(dir, 'b'), { recursive: true });
    const before = await digestTree(join(dir, 'a'));
    const largeBefore = readFileSync(join(dir, 'a', 'large.bin'));
    const changeA = await applySmallChange(join(dir, 'a'), 9);
    const changeB = await applySmallChange(join(dir, 'b'), 9);
    expect(changeB).toEqual(changeA);
    const [a, b] = [await digestTree(join(dir, 'a')), await digestTree(join(dir, 'b'))];
    expect(b.hash).toBe(a.hash);
    expect(a.hash).not.toBe(before.hash);

    expect(changeA.edited).toHaveLength(CHANGED_FILES);
    expect(changeA.added).toHaveLength(CHANGED_FILES);
    expect(changeA.removed).toHaveLength(CHANGED_FILES);
    expect(a.files).toBe(before.files);
    for (const path of changeA.removed) expect(a.lines.some((line) => line.startsWith(`f ${path} `))).toBe(false);
    for (const path of changeA.added) expect(a.lines.some((line) => line.startsWith(`f ${path} `))).toBe(true);
    expect(changeA.large).toBe('large.bin');
    const largeAfter = readFileSync(join(dir, 'a', 'large.bin'));
    expect(largeAfter.byteLength).toBe(params.largeBytes + INSERTED_BYTES);
    const middle = Math.floor(params.largeBytes / 2);
    expect(largeAfter.subarray(0, middle).equals(largeBefore.subarray(0, middle))).toBe(true);
    expect(largeAfter.subarray(middle + INSERTED_BYTES).equals(largeBefore.subarray(middle))).toBe(true);
  });

  it('leaves a hard-linked copy of a changed file alone', async () => {
    const dir = await tempDir();
    generateCorpus(join(dir, 'tree'), params);
    linkSync(join(dir, 'tree', 'large.bin'), join(dir, 'outside.bin'));
    await applySmallChange(join(dir, 'tree'), 9);
    expect(statSync(join(dir, 'outside.bin')).size).toBe(params.largeBytes);
    expect(statSync(join(dir, 'tree', 'large.bin')).size).toBe(params.largeBytes + INSERTED_BYTES);
  });
});
