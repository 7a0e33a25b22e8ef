import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ensureGeneratedCorpus } from '../src/corpus-cache.js';
import { corpusKey, corpusPreset, generateCorpus } from '../src/generate-corpus.js';
import type { CorpusParams } from '../src/generate-corpus.js';
import { digestTree } from '../src/tree-digest.js';
import { tempDir } from './temp-dir.js';

const params: CorpusParams = { seed: 1, textBytes: 300_000, tinyFiles: 120, randomBytes: 200_000, largeBytes: 1_500_000 };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function compressedRatio(path: string): number {
  const bytes = readFileSync(path);
  return deflateSync(bytes).byteLength / bytes.byteLength;
}

describe('generateCorpus', () => {
  it('writes the same tree for the same seed and parameters, and another for another seed', async () => {
    const dir = await tempDir();
    generateCorpus(join(dir, 'a'), params);
    generateCorpus(join(dir, 'b'), params);
    generateCorpus(join(dir, 'c'), { ...params, seed: 2 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => digestTree(join(dir, name))));
    expect(b!.hash).toBe(a!.hash);
    expect(b!.lines).toEqual(a!.lines);
    expect(c!.hash).not.toBe(a!.hash);
    // Not only the contents: the names differ too.
    const names = (d: typeof a) => d!.lines.map((line) => line.split(' ')[1]);
    expect(names(c)).not.toEqual(names(a));
  });

  it('holds each kind: source-like text, tiny files, random bytes and one large file', async () => {
    const root = join(await tempDir(), 'corpus');
    const manifest = generateCorpus(root, params);

    const text = filesUnder(join(root, 'src'));
    expect(text.length).toBe(manifest.text.files);
    expect(text.length).toBeGreaterThan(3);
    expect(text.reduce((sum, path) => sum + statSync(path).size, 0)).toBe(params.textBytes);
    const sample = readFileSync(text[0]!, 'latin1');
    expect(sample).toMatch(/^[\x20-\x7e\n]*$/); // printable ASCII lines
    expect(sample).toMatch(/(const|import|export|return|if) /);
    const biggest = text.reduce((a, b) => (statSync(a).size >= statSync(b).size ? a : b));
    expect(compressedRatio(biggest)).toBeLessThan(0.45);

    const tiny = filesUnder(join(root, 'node_modules'));
    expect(tiny.length).toBe(params.tinyFiles);
    expect(Math.max(...tiny.map((path) => statSync(path).size))).toBeLessThanOrEqual(4_096);
    expect(tiny.some((path) => path.endsWith('package.json'))).toBe(true);

    const random = filesUnder(join(root, 'assets'));
    expect(random.length).toBe(manifest.random.files);
    expect(random.reduce((sum, path) => sum + statSync(path).size, 0)).toBe(params.randomBytes);
    for (const path of random) expect(compressedRatio(path)).toBeGreaterThan(0.99);

    expect(statSync(join(root, 'large.bin')).size).toBe(params.largeBytes);
    const largeRatio = compressedRatio(join(root, 'large.bin'));
    expect(largeRatio).toBeGreaterThan(0.2);
    expect(largeRatio).toBeLessThan(0.9);
  });
});

describe('corpusPreset and the cache', () => {
  it('has a default of a few hundred MB and a small preset of a few MB', () => {
    const total = (p: CorpusParams): number => p.textBytes + p.randomBytes + p.largeBytes;
    expect(corpusPreset('default', 1).largeBytes).toBe(256_000_000);
    expect(corpusPreset('default', 1, 64).largeBytes).toBe(64_000_000);
    expect(total(corpusPreset('small', 1))).toBeLessThan(10_000_000);
    expect(() => corpusPreset('small', 1, -1)).toThrow(RangeError);
  });

  it('keys the cache by the parameters and reuses a generated corpus', async () => {
    expect(corpusKey(params)).toBe(corpusKey({ ...params }));
    expect(corpusKey({ ...params, seed: 2 })).not.toBe(corpusKey(params));
    expect(corpusKey({ ...params, tinyFiles: 121 })).not.toBe(corpusKey(params));
    const work = await tempDir();
    const first = await ensureGeneratedCorpus(work, params);
    const again = await ensureGeneratedCorpus(work, params);
    expect(first.reused).toBe(false);
    expect(again.reused).toBe(true);
    expect(again.root).toBe(first.root);
    expect(again.manifest.text.files).toBe(first.manifest.text.files);
    expect(readdirSync(work)).toEqual([corpusKey(params)]); // no partial folder left behind
  });
});
