import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { backup, grep, listSnapshot, pickaxe, restore } from '@cairn/repository';
import type { GrepHit, GrepOptions, Repository } from '@cairn/repository';
import { createLocalSource, createLocalTarget } from '@cairn/transport';
import { seededBytes, tempDir } from './helpers.js';
import { smallRepo } from './lifecycle-helpers.js';

const run = promisify(execFile);

async function take(repo: Repository, dir: string, day: number, hostname = 'laptop'): Promise<string> {
  return (await backup(repo, { source: createLocalSource(), paths: [dir], hostname, time: new Date(Date.UTC(2024, 0, day, 12)) })).id;
}

async function hits(repo: Repository, options: GrepOptions): Promise<{ hits: GrepHit[]; summary: Awaited<ReturnType<typeof grep>> }> {
  const found: GrepHit[] = [];
  const summary = await grep(repo, options, (hit) => found.push(hit));
  return { hits: found, summary };
}

/** Text lines of seeded pseudo-random words, so chunk boundaries fall inside lines. */
function textLines(count: number, seed: number): string {
  const bytes = seededBytes(count * 8, seed);
  const words = ['alpha', 'Beta', 'gamma', 'foo', 'foo7', 'food', 'FOO', 'eval(x)', 'bar_foo', 'delta', 'x-foo-y', 'omega'];
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const picks = [0, 1, 2, 3].map((k) => words[(bytes[i * 8 + k] ?? 0) % words.length]!);
    lines.push(`${i} ${picks.join(' ')} ${bytes.subarray(i * 8 + 4, i * 8 + 8).toString('hex')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The per-file line counts GNU grep (C locale, binary files skipped) gives over a folder, by path relative to it. */
async function gnuCounts(dir: string, flags: string[], pattern: string): Promise<Map<string, number>> {
  const { stdout } = await run('grep', ['-rIc', ...flags, '--', pattern, '.'], { cwd: dir, env: { ...process.env, LC_ALL: 'C' } }).catch((error: { code?: number; stdout?: string }) => {
    if (error.code === 1) return { stdout: error.stdout ?? '' };
    throw error;
  });
  const counts = new Map<string, number>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const at = line.lastIndexOf(':');
    const count = Number(line.slice(at + 1));
    if (count > 0) counts.set(relative('.', line.slice(0, at)), count);
  }
  return counts;
}

describe('grep over snapshots', () => {
  it('finds the same files and line counts as GNU grep over each restored snapshot (literal, regex, -i, -w), each content read once', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const src = join(work, 'proj');
    await mkdir(join(src, 'lib'), { recursive: true });
    await writeFile(join(src, 'a.txt'), textLines(300, 1));
    await writeFile(join(src, 'lib', 'b.ts'), textLines(200, 2));
    await writeFile(join(src, 'same.txt'), textLines(50, 3));
    await writeFile(join(src, 'lib', 'copy.txt'), textLines(50, 3));
    await writeFile(join(src, 'bin.dat'), Buffer.concat([Buffer.from('foo\0foo\n'), Buffer.from(textLines(10, 4))]));
    const ids = [await take(repo, src, 1)];
    await writeFile(join(src, 'a.txt'), textLines(310, 5));
    await writeFile(join(src, 'new.md'), 'FOO food foo\nnothing\n');
    ids.push(await take(repo, src, 2));
    await rm(join(src, 'lib', 'b.ts'));
    ids.push(await take(repo, src, 3));

    const restored = new Map<string, string>();
    for (const id of ids) {
      const out = join(work, `r-${id.slice(0, 8)}`);
      await restore(repo, id, { target: createLocalTarget(out) });
      restored.set(id, out);
    }
    // What grep over every restored snapshot reads, and what reading each distinct content once reads.
    let logical = 0;
    const distinct = new Map<string, number>();
    for (const out of restored.values()) {
      for (const name of await readdir(out, { recursive: true })) {
        const info = await stat(join(out, name));
        if (!info.isFile()) continue;
        const bytes = await readFile(join(out, name));
        logical += bytes.length;
        distinct.set(createHash('sha256').update(bytes).digest('hex'), bytes.length);
      }
    }
    const unique = [...distinct.values()].reduce((a, b) => a + b, 0);
    const cases: { flags: string[]; options: Omit<GrepOptions, 'pattern'>; pattern: string }[] = [
      { flags: ['-F'], options: { fixed: true }, pattern: 'eval(x)' },
      { flags: ['-E'], options: {}, pattern: 'fo+[0-9d]' },
      { flags: ['-F', '-i'], options: { fixed: true, ignoreCase: true }, pattern: 'foo' },
      { flags: ['-F', '-w'], options: { fixed: true, word: true }, pattern: 'foo' },
      { flags: ['-E', '-w', '-i'], options: { word: true, ignoreCase: true }, pattern: 'fo+' },
    ];
    for (const { flags, options, pattern } of cases) {
      const { hits: found, summary } = await hits(repo, { ...options, pattern, keepLines: false });
      for (const id of ids) {
        const ours = new Map(found.filter((h) => h.snapshots.some((s) => s.id === id)).map((h) => [h.path, h.count]));
        // The snapshot holds the folder by its name (proj/…), and so does the restored copy.
        const expected = await gnuCounts(restored.get(id)!, flags, pattern);
        expect(ours, `${flags.join(' ')} ${pattern} in ${id.slice(0, 8)}`).toEqual(expected);
        expect(expected.size).toBeGreaterThan(0);
      }
      // Each content is searched once: same.txt and lib/copy.txt share one, and unchanged files are not read again.
      expect(summary.contents).toBeLessThan(summary.files);
      expect(summary.binarySkipped).toBe(1);
      expect(summary.logicalBytes).toBe(logical);
      expect(summary.bytesDecompressed).toBeLessThanOrEqual(unique);
      expect(summary.bytesDecompressed).toBeGreaterThan(unique - 20_000); // all but the binary file's blobs
    }
  });

  it('keeps context lines and line numbers; stops at max-count', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await mkdir(join(work, 'p'));
    await writeFile(join(work, 'p', 'f.txt'), 'one\ntwo match\nthree\nfour\nfive match\nsix\nseven\n');
    await take(repo, join(work, 'p'), 1);
    const { hits: found } = await hits(repo, { pattern: 'match', before: 1, after: 1 });
    expect(found[0]!.lines.map((l) => `${l.line}${l.match ? ':' : '-'}${l.text}`)).toEqual(['1-one', '2:two match', '3-three', '4-four', '5:five match', '6-six']);
    const { hits: first } = await hits(repo, { pattern: 'match', maxCount: 1 });
    expect(first[0]!.count).toBe(1);
    expect(first[0]!.lines).toEqual([{ line: 2, text: 'two match', match: true }]);
  });

  it('skips binary files unless asked (a NUL in the first 8000 bytes)', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await mkdir(join(work, 'p'));
    await writeFile(join(work, 'p', 'img.bin'), Buffer.concat([Buffer.from('needle\n'), Buffer.alloc(3, 0), Buffer.from('needle\n')]));
    await writeFile(join(work, 'p', 'late.txt'), Buffer.concat([Buffer.from('x'.repeat(9000)), Buffer.from('\0needle\n')]));
    await take(repo, join(work, 'p'), 1);
    const skipped = await hits(repo, { pattern: 'needle' });
    expect(skipped.hits.map((h) => h.path.split('/').pop())).toEqual(['late.txt']);
    expect(skipped.summary.binarySkipped).toBe(1);
    const all = await hits(repo, { pattern: 'needle', binary: true });
    expect(all.hits.map((h) => [h.path.split('/').pop(), h.count])).toEqual([['img.bin', 2], ['late.txt', 1]]);
  });

  it('finds a match straddling a chunk boundary of a multi-chunk file', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await mkdir(join(work, 'p'));
    const text = textLines(3000, 9);
    await writeFile(join(work, 'p', 'big.txt'), text);
    const id = await take(repo, join(work, 'p'), 1);
    let content: Uint8Array[] = [];
    for await (const entry of listSnapshot(repo, id)) if (entry.path.endsWith('big.txt')) content = entry.node.content ?? [];
    expect(content.length).toBeGreaterThan(3);
    let boundary = 0;
    let needle = '';
    for (const blob of content.slice(0, -1)) {
      boundary += (await repo.loadBlob(blob, 'data')).length;
      const around = text.slice(boundary - 6, boundary + 6);
      if (!around.includes('\n') && text.indexOf(around) === text.lastIndexOf(around)) {
        needle = around;
        break;
      }
    }
    expect(needle).not.toBe('');
    const lineNo = text.slice(0, boundary).split('\n').length;
    const { hits: found } = await hits(repo, { pattern: needle, fixed: true });
    expect(found).toHaveLength(1);
    expect(found[0]!.lines.map((l) => l.line)).toEqual([lineNo]);
    expect(found[0]!.lines[0]!.text).toBe(text.split('\n')[lineNo - 1]);
  });

  it('finds matches in a line longer than several chunks, with its line number', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await mkdir(join(work, 'p'));
    const long = seededBytes(120_000, 5).toString('base64').replace(/[+/]/g, 'x');
    const text = `first\n${long.slice(0, 80_000)}NEEDLE${long.slice(80_000)}\nlast NEEDLE\n`;
    await writeFile(join(work, 'p', 'min.js'), text);
    const id = await take(repo, join(work, 'p'), 1);
    let blobs = 0;
    for await (const entry of listSnapshot(repo, id)) if (entry.path.endsWith('min.js')) blobs = entry.node.content?.length ?? 0;
    expect(blobs).toBeGreaterThan(4);
    const { hits: found } = await hits(repo, { pattern: 'NEEDLE', fixed: true, before: 1 });
    expect(found[0]!.lines.map((l) => [l.line, l.match, l.text.length])).toEqual([[1, false, 5], [2, true, long.length + 6], [3, true, 11]]);
  });

  it('pickaxe: a string that appears, disappears and comes back gives two spans per host and paths', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    const dir = join(work, 'client');
    await mkdir(dir);
    const states = ['clean()\n', 'run(eval(input))\n', 'run(eval(input))\nmore\n', 'clean()\n', 'x = eval(y)\n'];
    const ids: string[] = [];
    for (const [day, state] of states.entries()) {
      await writeFile(join(dir, 'app.js'), state);
      ids.push(await take(repo, dir, day + 1));
    }
    await take(repo, dir, 10, 'other-host');
    const { spans } = await pickaxe(repo, { pattern: 'eval(', fixed: true });
    const mine = spans.filter((s) => s.host === 'laptop');
    expect(mine.map((s) => [s.introduced.id, s.last.id, s.removed?.id ?? null])).toEqual([
      [ids[1], ids[2], ids[3]],
      [ids[4], ids[4], null],
    ]);
    expect(mine[0]!.introduced.time).toBe('2024-01-02T12:00:00.000Z');
    expect(mine[0]!.paths).toEqual([dir]);
    expect(spans.filter((s) => s.host === 'other-host').map((s) => s.removed)).toEqual([null]);
  });

  it('a bad regular expression is ERR_USAGE naming it; a filter no snapshot passes is ERR_NOT_FOUND', async () => {
    const work = await tempDir();
    const repo = await smallRepo(work);
    await mkdir(join(work, 'p'));
    await writeFile(join(work, 'p', 'f.txt'), 'x\n');
    await take(repo, join(work, 'p'), 1);
    const bad = await grep(repo, { pattern: 'a(b' }, () => undefined).catch((error: unknown) => error);
    expect(isCairnError(bad, 'ERR_USAGE')).toBe(true);
    expect((bad as Error).message).toContain('"a(b"');
    const none = await grep(repo, { pattern: 'x', filter: { hosts: ['nobody'] } }, () => undefined).catch((error: unknown) => error);
    expect(isCairnError(none, 'ERR_NOT_FOUND')).toBe(true);
    expect((await hits(repo, { pattern: 'x', paths: ['*.md'] })).hits).toEqual([]);
    expect((await hits(repo, { pattern: 'x', paths: ['*.txt'] })).hits).toHaveLength(1);
    expect(await readFile(join(work, 'p', 'f.txt'), 'utf8')).toBe('x\n');
  });
});
