import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededBytes } from '../../../packages/repository/test/helpers.js';
import { CLI, cairn, tempDir } from './run-cli.js';
import type { Run } from './run-cli.js';

/** Runs `cairn args…` with the file `input` as its standard input (redirected, as `< file` does) or piped in. */
function withStdin(args: readonly string[], input: string, how: 'file' | 'pipe', home: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const fd = how === 'file' ? openSync(input, 'r') : 'pipe';
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', HOME: home, XDG_DATA_HOME: join(home, 'data') }, stdio: [fd, 'pipe', 'pipe'] });
    if (typeof fd === 'number') closeSync(fd);
    else void readFile(input).then((data) => child.stdin?.end(data));
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface BackupJson {
  id: string;
  paths: string[];
  summary: { filesNew: number; filesUnchanged: number; bytesRead: number; dataBlobsAdded: number };
}

describe('cairn backup --stdin', () => {
  it('stores 50 MB of standard input as one file that restores byte for byte; the same input again adds no data', { timeout: 120_000 }, async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home })).code).toBe(0);
    const dump = join(home, 'dump.bin');
    const data = seededBytes(50 * 1024 * 1024, 11);
    await writeFile(dump, data);

    const first = await withStdin(['backup', '--repo', repo, '--json', '--stdin', '--stdin-filename', 'db.sql'], dump, 'file', home);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const made = JSON.parse(first.stdout) as BackupJson;
    expect(made.paths).toEqual(['/db.sql']);
    expect(made.summary).toMatchObject({ filesNew: 1, bytesRead: data.length });
    expect((await cairn(['ls', '--repo', repo, 'latest'], { home })).stdout).toBe('db.sql\n');

    const out = join(home, 'out');
    expect((await cairn(['restore', '--repo', repo, 'latest', '--target', out], { home })).code).toBe(0);
    expect(Buffer.compare(await readFile(join(out, 'db.sql')), data)).toBe(0);

    // Through a pipe this time: same bytes, so no new data (the tree differs only by the time).
    const again = await withStdin(['backup', '--repo', repo, '--json', '--stdin', '--stdin-filename', 'db.sql'], dump, 'pipe', home);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as BackupJson).summary).toMatchObject({ filesUnchanged: 1, bytesRead: data.length, dataBlobsAdded: 0 });
  });

  it('stores empty input as an empty file named stdin, and refuses --stdin with paths in one line', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home })).code).toBe(0);
    const empty = join(home, 'empty');
    await writeFile(empty, '');
    const made = await withStdin(['backup', '--repo', repo, '--stdin'], empty, 'file', home);
    expect(made.code).toBe(0);
    expect((await cairn(['ls', '--repo', repo, 'latest'], { home })).stdout).toBe('stdin\n');
    const out = join(home, 'out');
    expect((await cairn(['restore', '--repo', repo, 'latest', '--target', out], { home })).code).toBe(0);
    expect((await readFile(join(out, 'stdin'))).length).toBe(0);

    const both = await withStdin(['backup', '--repo', repo, '--stdin', home], empty, 'file', home);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe(`cairn: backup: --stdin stores standard input and takes no paths (got ${JSON.stringify(home)}); back up paths in a separate backup\n`);
    const badName = await withStdin(['backup', '--repo', repo, '--stdin', '--stdin-filename', 'a/b'], empty, 'file', home);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('--stdin-filename');
    const nameOnly = await cairn(['backup', '--repo', repo, '--stdin-filename', 'x', home], { home });
    expect(nameOnly.code).toBe(1);
    expect(nameOnly.stderr).toContain('give --stdin too');
    expect((await cairn(['snapshots', '--repo', repo, '--json'], { home })).stdout).toMatch(/^\[\s*\{[^]*\}\s*\]\s*$/);
  });
});
