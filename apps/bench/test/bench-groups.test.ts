import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bench, tableRow } from './run-bench.js';
import { tempDir } from './temp-dir.js';

interface GroupsJson {
  corpus: { files: number; bytes: number; skipped: number };
  samples: { groupBytes: number; frames: number; storedBytes: number; meanReadBytes: number }[];
}

describe('cairn-bench groups', () => {
  it('stores similar small files denser in groups, and a read of one then decompresses its whole group', async () => {
    const dir = await tempDir();
    const corpus = join(dir, 'corpus');
    mkdirSync(join(corpus, 'src'), { recursive: true });
    // 40 files of ~3 KB that share most of their text: alone each frame repeats it, grouped it is said once per group.
    const shared = Array.from({ length: 60 }, (_, i) => `export function helper${i}(value: number): number { return value * ${i} + 1; }\n`).join('');
    for (let i = 0; i < 40; i += 1) writeFileSync(join(corpus, 'src', `f${String(i).padStart(2, '0')}.ts`), `// file ${i}\n${shared}`);
    writeFileSync(join(corpus, 'big.bin'), Buffer.alloc(200_000, 7)); // above --small-max: left out
    const json = join(dir, 'groups.json');
    const run = await bench(['groups', '--corpus', corpus, '--sizes', '0,64K', '--small-max', '100K', '--samples', '10', '--json', json]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('40 files of at most 102400 bytes');
    expect(run.stdout).toContain('(1 larger files left out)');
    const out = JSON.parse(readFileSync(json, 'utf8')) as GroupsJson;
    const [alone, grouped] = out.samples;
    expect(alone).toMatchObject({ groupBytes: 0, frames: 40 });
    expect(grouped!.groupBytes).toBe(64 << 10);
    expect(grouped!.frames).toBe(Math.ceil(out.corpus.bytes / (64 << 10)));
    expect(grouped!.storedBytes).toBeLessThan(alone!.storedBytes / 4);
    expect(grouped!.meanReadBytes).toBeGreaterThan(alone!.meanReadBytes * 10);
    expect(tableRow(run.stdout, 'one file each')![3]).toBe('1.00');
  });

  it('says so when the corpus holds no small file', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(2_000, 1));
    const run = await bench(['groups', '--corpus', dir, '--small-max', '1K']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The corpus ${dir} holds no regular file of at most 1024 bytes.`);
  });
});
