import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeTree } from '../../../packages/repository/test/helpers.js';
import { cairn, tempDir } from './run-cli.js';

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

interface DryRunJson {
  dryRun: boolean;
  parent: string | null;
  stored: { path: string; status: string; size: number }[];
  skipped: { path: string; class: string }[];
  summary: { filesNew: number; filesChanged: number; bytesRead: number; packsAdded: number };
}

describe('cairn backup --dry-run', () => {
  it('lists the files and skips of the backup it stands for, and leaves every repository file byte for byte as it was', async () => {
    const home = await tempDir();
    const proj = join(home, 'proj');
    await write(proj, {
      'package.json': '{"name":"proj"}', 'src/index.ts': 'export {}\n', 'README.md': '# proj\n', '.gitignore': 'out/\n*.log\n',
      'node_modules/dep/index.js': 'dep', 'out/bundle.js': 'bundle', 'trace.log': 'log',
    });
    const repo = join(home, 'repo');
    expect((await cairn(['init', '--repo', repo], { home })).code).toBe(0);
    const before = await describeTree(repo);

    const dry = await cairn(['backup', '--repo', repo, '--dry-run', '--json', proj], { home });
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout) as DryRunJson;
    expect(report).toMatchObject({ dryRun: true, parent: null, summary: { filesNew: 4, filesChanged: 0, packsAdded: 0 } });
    expect(report.summary.bytesRead).toBe(15 + 10 + 7 + 11);
    const human = await cairn(['backup', '--repo', repo, '--dry-run', proj], { home });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('new      /proj/src/index.ts  10 B\n');
    expect(human.stdout).toMatch(/^skipped {2}\/proj\/node_modules\/ {2}\[dependency\]/m);
    expect(human.stdout).toContain('dry run: nothing was written (no parent snapshot: every file is new)');
    expect(human.stdout).toContain('would read 43 B');
    // It only reads: another user, who may not write the repository, can run it too.
    if (process.getuid?.() === 0) {
      await chmod(home, 0o755);
      const other = await cairn(['backup', '--repo', repo, '--dry-run', proj], { home, uid: 65534 });
      expect(other.stderr).toBe('');
      expect(other.code).toBe(0);
    }
    expect(await describeTree(repo)).toEqual(before);

    const real = await cairn(['backup', '--repo', repo, '--json', proj], { home });
    expect(real.code).toBe(0);
    const made = JSON.parse(real.stdout) as { skipped: { path: string; class: string }[] };
    const ls = JSON.parse((await cairn(['ls', '--repo', repo, '--json', 'latest'], { home })).stdout) as { path: string; type: string }[];
    const files = ls.filter((e) => e.type === 'file').map((e) => `/${e.path}`).sort();
    expect(files).toEqual(['/proj/.gitignore', '/proj/README.md', '/proj/package.json', '/proj/src/index.ts']);
    expect(report.stored.map((e) => e.path).sort()).toEqual(files);
    expect(report.skipped).toEqual(made.skipped);
    expect(report.skipped.map((e) => e.path).sort()).toEqual(['/proj/node_modules/', '/proj/out/bundle.js', '/proj/trace.log']);

    // Against that backup: only the edited file is listed.
    await writeFile(join(proj, 'README.md'), '# proj, edited\n');
    const afterBackup = await describeTree(repo);
    const second = JSON.parse((await cairn(['backup', '--repo', repo, '--dry-run', '--json', proj], { home })).stdout) as DryRunJson;
    expect(second.stored).toEqual([{ path: '/proj/README.md', type: 'file', status: 'changed', size: 15 }]);
    expect(second.parent).toMatch(/^[0-9a-f]{64}$/);
    expect(await describeTree(repo)).toEqual(afterBackup);
  });

  it('never creates the default repository', async () => {
    const home = await tempDir();
    await write(join(home, 'proj'), { 'a.txt': 'a' });
    const run = await cairn(['backup', '--dry-run', join(home, 'proj')], { home });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('a dry run creates none');
    expect(existsSync(join(home, 'data', 'cairn'))).toBe(false);
  });
});
