import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createWholeFileThread } from '../src/whole-file-thread.js';
import { tempDir } from './temp-dir.js';

/** The built package: the thread runs dist/whole-file-worker.js, as an installed cairn does. */
const TRANSPORT = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js')).href;

describe("a local target's whole-file thread", () => {
  it('writes every file of a batch before the process ends, lets the process end by itself, and starts again after it ended idle', { timeout: 60_000 }, async () => {
    const root = join(await tempDir(), 'out');
    // The first batch, then a pause longer than the thread's idle time (it ends), then a second batch (a new thread).
    const script = `
      import { createLocalTarget } from ${JSON.stringify(TRANSPORT)};
      const target = createLocalTarget(${JSON.stringify(root)}, { wholeFileThreadFrom: 0 });
      await target.mkdir([]);
      const batch = (names) => names.map((name) => ({ path: [name], data: new TextEncoder().encode('content of ' + name), metadata: undefined, fresh: true }));
      const first = await target.writeFiles(batch(['a', 'b', 'c']));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const second = await target.writeFiles(batch(['d']));
      // Not awaited: the process stays up until the thread has written it.
      void target.writeFiles(batch(['e'])).then((third) => console.log(JSON.stringify({ first, second, third })));
    `;
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ first: [null, null, null], second: [null], third: [null] });
    // Ended by itself soon after the last write (an idle thread does not hold it for its idle time).
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const name of ['a', 'b', 'c', 'd', 'e']) expect(await readFile(join(root, name), 'utf8')).toBe(`content of ${name}`);
  });
});

describe('createWholeFileThread', () => {
  it('a thread that ended for idling while the next batch starts a new one does not fail that batch', { timeout: 60_000 }, async () => {
    const root = await tempDir();
    const thread = createWholeFileThread(0);
    const job = (name: string) => ({ final: join(root, name), file: { path: [name], data: new TextEncoder().encode(name), metadata: undefined, fresh: true } });
    for (let round = 0; round < 5; round += 1) {
      expect(await thread.write([job(`a${round}`)])).toEqual([undefined]);
      // The idle time (0 ms) passes: the thread is told to end, and its exit comes while the next batch waits for a new thread.
      await sleep(2);
      expect(await thread.write([job(`b${round}`)])).toEqual([undefined]);
      await sleep(2);
    }
    for (let round = 0; round < 5; round += 1) expect(await readFile(join(root, `b${round}`), 'utf8')).toBe(`b${round}`);
  });
});
