import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { initRepository } from '@cairn/repository';
import { createLocalBackend } from '@cairn/transport';
import { tempDir } from '../../../packages/repository/test/helpers.js';
import { fileHashes, writeFiles } from '../../../packages/repository/test/lifecycle-helpers.js';
import { jsonSummary, startCli } from './run-cli.js';

/** How many restores to kill; a stress run sets CAIRN_CRASH_LOOPS=200. */
const LOOPS = Number(process.env['CAIRN_CRASH_LOOPS'] ?? 6);

/** Names a restore writes under before renaming (`.<name>.cairn-partial`, `.<name>.cairn-<random>`). */
const isTemp = (path: string): boolean => /(^|\/)\.[^/]*cairn-(partial|[0-9a-f]{12})(-[0-9a-f]{16})?$/.test(path);

async function tempNames(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter(isTemp);
}

describe('crash safety of restore', () => {
  it(`kill -9 of a real \`cairn restore\` at a random moment (${LOOPS} times): the next restore, with --overwrite if-changed too, gives every file back byte for byte`, { timeout: 60_000 + LOOPS * 20_000 }, async () => {
    const work = await tempDir();
    const repoPath = join(work, 'repo');
    await initRepository(createLocalBackend(repoPath), { packSize: 256 * 1024 });
    // Many small files (written whole, new ones in place) and a few large ones (written by position).
    const tree = join(work, 'tree');
    await writeFiles(join(tree, 'small'), 1, 400, 4_000);
    await writeFiles(join(tree, 'large'), 2, 6, 1_500_000);
    const saved = await startCli(['--repo', repoPath, 'backup', tree, '--json', '--quiet']).done;
    expect(saved.code, saved.stderr).toBe(0);
    const id = (jsonSummary(saved.stdout) as { id: string }).id;
    const want = await fileHashes(tree);

    const restoreRun = (target: string, ...flags: string[]) => startCli(['--repo', repoPath, 'restore', id, '--target', target, '--quiet', ...flags]);
    const started = Date.now();
    const first = await restoreRun(join(work, 'timed')).done;
    expect(first.code, first.stderr).toBe(0);
    const duration = Date.now() - started;

    let killed = 0;
    let shortFiles = 0;
    for (let round = 1; round <= LOOPS; round += 1) {
      const target = join(work, `out${round}`);
      const run = restoreRun(target);
      await sleep(duration * (0.3 + 0.6 * Math.random()));
      run.child.kill('SIGKILL');
      const result = await run.done;
      if (result.signal === 'SIGKILL') killed += 1;
      // What a kill may leave: files short of their size under their own name (counted, not required).
      const left = await fileHashes(join(target, 'tree')).catch(() => new Map<string, string>());
      for (const path of left.keys()) {
        if (!isTemp(path) && (await stat(join(target, 'tree', path))).size !== (await stat(join(tree, path))).size) shortFiles += 1;
      }
      // Every second round goes on with --overwrite if-changed: size and mtime must tell a cut file from a whole one.
      const again = await restoreRun(target, ...(round % 2 === 0 ? ['--overwrite', 'if-changed'] : [])).done;
      expect(again.code, again.stderr).toBe(0);
      expect(await fileHashes(join(target, 'tree')), `round ${round}`).toEqual(want);
      expect(await tempNames(target), `round ${round}`).toEqual([]);
    }
    console.log(`crash-restore: ${killed} of ${LOOPS} restores killed (restore ${duration} ms); files left short by a kill: ${shortFiles}`);
  });
});
