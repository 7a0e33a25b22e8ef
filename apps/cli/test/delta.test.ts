import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, jsonSummary, tempDir } from './run-cli.js';

/** A text file of `lines` lines, with line `edit` changed (none when -1). */
function text(lines: number, edit: number): string {
  return Array.from({ length: lines }, (_, i) => (i === edit ? `changed line ${i}` : `line ${i} ${(i * 2654435761) % 4294967296}`)).join('\n');
}

describe('cairn and delta blobs', () => {
  it('backs up a changed file as a delta, `--no-delta` stores it whole, `init --no-delta --no-group` makes a version-1 repository', async () => {
    const home = await tempDir();
    const proj = join(home, 'proj');
    await mkdir(proj);
    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home })).code).toBe(0);
    const stats = async (): Promise<{ deltaBlobs: number }> => jsonSummary((await cairn(['stats', '--repo', repo, '--json'], { home })).stdout) as { deltaBlobs: number };
    await writeFile(join(proj, 'a.txt'), text(5000, -1));
    expect((await cairn(['backup', '--repo', repo, proj], { home })).code).toBe(0);
    await writeFile(join(proj, 'a.txt'), text(5000, 10));
    expect((await cairn(['backup', '--repo', repo, proj], { home })).code).toBe(0);
    expect((await stats()).deltaBlobs).toBe(1);
    expect((await cairn(['stats', '--repo', repo], { home })).stdout).toMatch(/deltas: +1 blobs/);
    await writeFile(join(proj, 'a.txt'), text(5000, 20));
    expect((await cairn(['backup', '--repo', repo, '--no-delta', proj], { home })).code).toBe(0);
    expect((await stats()).deltaBlobs).toBe(1);
    const check = await cairn(['check', '--repo', repo, '--read-data'], { home });
    expect(check.code).toBe(0);
    const out = join(home, 'out');
    expect((await cairn(['restore', '--repo', repo, 'latest', '--target', out], { home })).code).toBe(0);
    expect(await readFile(join(out, 'proj', 'a.txt'), 'utf8')).toBe(text(5000, 20));

    const old = join(home, 'old');
    expect((await cairn(['init', '--repo', old, '--no-delta', '--no-group'], { home })).code).toBe(0);
    expect(JSON.parse(await readFile(join(old, 'config'), 'utf8'))).toMatchObject({ version: 1 });
    expect(JSON.parse(await readFile(join(old, 'config'), 'utf8'))).not.toHaveProperty('deltas');
  });
});
