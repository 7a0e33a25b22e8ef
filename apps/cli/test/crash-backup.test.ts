import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { initRepository, listSnapshots } from '@cairn/repository';
import { createLocalBackend } from '@cairn/transport';
import { seededBytes, tempDir } from '../../../packages/repository/test/helpers.js';
import { checkProblems, fileHashes, reopen, restoredHashes, writeFiles } from '../../../packages/repository/test/lifecycle-helpers.js';
import { jsonSummary, startCli } from './run-cli.js';

/** How many backups to kill; CI runs the default, a stress run sets CAIRN_CRASH_LOOPS=200. */
const LOOPS = Number(process.env['CAIRN_CRASH_LOOPS'] ?? 10);
/** Small chunks and 64 KiB packs: a ~5 MB tree makes dozens of packs and (every 16 packs) index checkpoints. */
const SETTINGS = { chunker: { min: 1024, avg: 4096, max: 16384 }, packSize: 64 * 1024 } as const;

/** Temporary files anywhere in the repository (relative paths). */
async function tempFiles(repo: string): Promise<string[]> {
  return (await readdir(repo, { recursive: true })).filter((path) => path.split('/').some((part) => part.startsWith('.tmp-')));
}

/**
 * The snapshots to restore after a kill: all of them while there are at most 24 (the default
 * run); in a long stress run the 6 newest and 6 others at random (check reads every byte each
 * round, and every snapshot is restored at the end), so a round costs the same throughout.
 */
function toRestore<T>(saved: readonly T[]): T[] {
  if (saved.length <= 24) return [...saved];
  const older = saved.slice(0, -6);
  const sample = Array.from({ length: 6 }, () => older[Math.floor(Math.random() * older.length)]).filter((s): s is T => s !== undefined);
  return [...new Set([...sample, ...saved.slice(-6)])];
}

/** Milliseconds until a run ends. */
async function timed(done: Promise<unknown>): Promise<number> {
  const started = Date.now();
  await done;
  return Date.now() - started;
}

describe('crash safety of backup', () => {
  it(`kill -9 of a real \`cairn backup\` at a random moment (${LOOPS} times): check passes, every earlier snapshot restores byte for byte, the next backup completes and leaves no temporary file`, { timeout: 60_000 + LOOPS * 30_000 }, async () => {
    expect(Number.isInteger(LOOPS) && LOOPS > 0).toBe(true);
    const work = await tempDir();
    const repoPath = join(work, 'repo');
    await initRepository(createLocalBackend(repoPath), SETTINGS);
    const tree = join(work, 'tree');
    await writeFiles(tree, 1, 60, 60_000); // ~5.4 MB
    const saved: { id: string; hashes: Map<string, string> }[] = [];
    // --force reads every file: each run takes about as long as the first, whatever changed.
    const backupRun = () => startCli(['--repo', repoPath, 'backup', tree, '--json', '--quiet', '--force']);
    const complete = async (): Promise<void> => {
      const result = await backupRun().done;
      expect(result.code, result.stderr).toBe(0);
      saved.push({ id: (jsonSummary(result.stdout) as { id: string }).id, hashes: await fileHashes(tree) });
    };
    const startup = await timed(startCli(['--version']).done);
    // The first backup runs to its end; how long a second one takes sets the range of kill times.
    await complete();
    await writeFile(join(tree, 'f0.bin'), seededBytes(70_000, 999));
    // The kill lands before the quickest backup so far would end (each round's complete one is timed too):
    // one slow measurement must not let most runs finish before their kill.
    let duration = await timed(complete());
    let killed = 0;
    let tempsLeft = 0;

    for (let round = 1; round <= LOOPS; round += 1) {
      // New data each round: a fifth of the files rewritten, so every backup has packs to write.
      for (let i = round % 5; i < 60; i += 5) await writeFile(join(tree, `f${i}.bin`), seededBytes(60_000 + i * 1000, 1000 * round + i));
      const run = backupRun();
      const from = Math.min(startup * 0.8, duration * 0.5);
      await sleep(from + Math.random() * (duration - from));
      run.child.kill('SIGKILL');
      const result = await run.done;
      if (result.signal === 'SIGKILL') {
        killed += 1;
        // Killed after its snapshot was written but before it printed: that snapshot is complete.
        const known = new Set(saved.map((s) => s.id));
        const written = (await listSnapshots(await reopen(work))).snapshots.filter((s) => !known.has(s.id));
        expect(written.length).toBeLessThanOrEqual(1);
        for (const s of written) saved.push({ id: s.id, hashes: await fileHashes(tree) });
      } else {
        expect(result.code, result.stderr).toBe(0); // it finished before the kill
        saved.push({ id: (jsonSummary(result.stdout) as { id: string }).id, hashes: await fileHashes(tree) });
      }
      tempsLeft += (await tempFiles(repoPath)).length;

      // Whatever the moment, the repository checks clean and every earlier snapshot restores exactly.
      expect(await checkProblems(work), `after round ${round}`).toEqual([]);
      const fresh = await reopen(work);
      expect((await listSnapshots(fresh)).snapshots.map((s) => s.id).sort()).toEqual(saved.map((s) => s.id).sort());
      for (const snapshot of toRestore(saved)) expect(await restoredHashes(fresh, snapshot.id, 'tree')).toEqual(snapshot.hashes);

      // The next backup completes, and removes what the killed one left in the repository's folders.
      duration = Math.min(duration, await timed(complete()));
      expect(await tempFiles(repoPath), `after round ${round}`).toEqual([]);
    }

    expect(await checkProblems(work)).toEqual([]);
    const fresh = await reopen(work);
    for (const snapshot of saved) expect(await restoredHashes(fresh, snapshot.id, 'tree')).toEqual(snapshot.hashes);
    if (LOOPS >= 10) expect(killed).toBeGreaterThan(LOOPS / 3);
    console.log(`crash-backup: ${killed} of ${LOOPS} backups killed (backup ${duration} ms, start-up ${startup} ms); temporary files left by the killed runs: ${tempsLeft}`);
  });
});
