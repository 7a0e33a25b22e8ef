import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, DESKTOP, haveChromium, launchChromium, startUi } from './ui-browser-fixture.js';

/**
 * The page load with 1,000 snapshots (benchmarks/BENCHMARKS.md): made in one process by the engine
 * (a thousand CLI runs would take minutes), three folders, a tag on every tenth (CAIRN_UI_BENCH_DIR: where, e.g. /dev/shm); then the real
 * `cairn ui` and the time from navigation to the timeline drawn (rows and chart): the first load
 * (the printed URL, through its redirect) and the median of 5 reloads.
 * Run with CAIRN_UI_BENCH=1.
 */
describe.runIf(haveChromium && process.env['CAIRN_UI_BENCH'] === '1')('cairn ui page load with 1,000 snapshots', () => {
  it('draws the timeline in under a second', async () => {
    const { backup, initRepository } = await import('@cairn/repository');
    const { createLocalBackend, createLocalSource } = await import('@cairn/transport');
    // CAIRN_UI_BENCH_REUSE: a folder a run kept (CAIRN_UI_BENCH_KEEP=1), measured again without making it.
    const reuse = process.env['CAIRN_UI_BENCH_REUSE'];
    const home = reuse ?? await mkdtemp(join(process.env['CAIRN_UI_BENCH_DIR'] ?? tmpdir(), 'cairn-ui-bench-'));
    try {
      const repoDir = join(home, 'repo');
      const repo = reuse === undefined ? await initRepository(createLocalBackend(repoDir)) : undefined;
      const folders = ['alpha', 'beta', 'gamma'].map((name) => join(home, name));
      for (const folder of folders) await mkdir(folder, { recursive: true });
      const made = Date.now();
      for (let i = 0; repo !== undefined && i < 1000; i++) {
        const folder = folders[i % 3]!;
        await writeFile(join(folder, 'counter.txt'), `${i}\n`.repeat(1 + (i % 50)));
        // No parent lookup, no worker pool, one tidy: a thousand backups in one process stay quick.
        await backup(repo, {
          source: createLocalSource(), paths: [folder], time: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000), tags: i % 10 === 0 ? ['daily'] : [],
          parentSnapshot: null, threads: 0, tidy: i === 0,
        });
      }
      const makeSeconds = (Date.now() - made) / 1000;
      const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), CAIRN_PASSWORD: '' };
      const ui = await startUi(['--repo', repoDir], env);
      const browser = await launchChromium();
      try {
        const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
        const times: number[] = [];
        for (let run = 0; run < 6; run++) {
          // The first load is the printed URL (the server reads every snapshot then); then reloads.
          if (run === 0) await page.goto(ui.url);
          else await page.reload();
          await page.waitForFunction(() => {
            const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
            return doc.querySelectorAll('.snapshots .row').length > 0 && doc.querySelectorAll('.chart path.bars[data-count="1000"]').length === 1;
          }, undefined, { polling: 'raf', timeout: 30_000 });
          times.push(await page.evaluate(() => (globalThis as unknown as { performance: { now(): number } }).performance.now()));
          if (run === 0) {
            // Where the first load's time went: the API calls (the server reads the snapshots once, then keeps them).
            const calls = await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType(t: string): { name: string; duration: number }[] } }).performance
              .getEntriesByType('resource').map((e) => `${new URL(e.name).pathname} ${e.duration.toFixed(0)} ms`));
            process.stdout.write(`ui bench: first load: ${calls.join(', ')}\n`);
          }
        }
        expect(await page.locator('.group').count()).toBe(3);
        const [first, ...rest] = times;
        const median = [...rest].sort((a, b) => a - b)[Math.floor(rest.length / 2)]!;
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'bench-1000-snapshots-desktop.png') });
        process.stdout.write(`ui bench: 1,000 snapshots made in ${makeSeconds.toFixed(1)} s; timeline drawn: first load ${first!.toFixed(0)} ms, median of ${rest.length} reloads ${median.toFixed(0)} ms (${rest.map((t) => t.toFixed(0)).join(', ')})\n`);
        expect(median).toBeLessThan(1000);
      } finally {
        await browser.close();
        ui.run.child.kill('SIGTERM');
        await ui.run.done;
      }
    } finally {
      if (process.env['CAIRN_UI_BENCH_KEEP'] === '1' || reuse !== undefined) process.stdout.write(`ui bench: the repository is kept in ${home}\n`);
      else await rm(home, { recursive: true, force: true });
    }
  }, 600_000);
});
