import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cairn, CLI, tempDir } from './run-cli.js';

/** Every file below `dir`, recursively (relative names). */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('an interrupted backup', () => {
  it('stops on SIGINT with no snapshot, indexes the packs it wrote, leaves no temp file, and the next backup reuses them', async () => {
    const home = await tempDir();
    const repo = join(home, 'repo');
    const data = join(home, 'data');
    await mkdir(data);
    // 160 MB of incompressible data: long enough to interrupt after its first packs.
    for (let i = 0; i < 40; i++) await writeFile(join(data, `f${i}.bin`), randomBytes(4 * 1024 * 1024));
    expect((await cairn(['init', '-r', repo], { home })).code).toBe(0);

    const child = spawn(process.execPath, [CLI, 'backup', '-q', '-r', repo, data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Interrupt once the first pack is on disk.
    for (let tries = 0; tries < 600; tries++) {
      const packs = (await allFiles(join(repo, 'data'))).filter((f) => !f.includes('.tmp-'));
      if (packs.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/interrupted/);

    const files = await allFiles(repo);
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('snapshots/'))).toEqual([]);
    const indexFiles = files.filter((f) => f.startsWith('index/'));
    expect(indexFiles.length).toBeGreaterThan(0);

    const check = await cairn(['check', '-r', repo, '--json'], { home });
    expect(check.code).toBe(0);
    const checked = JSON.parse(check.stdout) as { problems: unknown[]; notes: string[] };
    expect(checked.problems).toEqual([]);
    expect(checked.notes.filter((n) => n.includes('in no index'))).toEqual([]);

    const again = await cairn(['backup', '-r', repo, data, '--json'], { home });
    expect(again.code).toBe(0);
    const summary = (JSON.parse(again.stdout) as { summary: { bytesAdded: number; bytesRead: number } }).summary;
    expect(summary.bytesRead).toBe(40 * 4 * 1024 * 1024);
    expect(summary.bytesAdded).toBeLessThan(summary.bytesRead - 8 * 1024 * 1024); // at least the first pack was reused
    expect((await cairn(['check', '-r', repo, '--read-data'], { home })).code).toBe(0);
  });
});
