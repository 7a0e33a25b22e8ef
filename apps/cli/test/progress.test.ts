import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { cairn, CLI, jsonError, jsonItems, jsonLines, jsonSummary, tempDir } from './run-cli.js';
import type { JsonMessage } from './run-cli.js';

/** `count` files of random bytes (incompressible, so a backup reads and stores every byte). */
async function randomTree(dir: string, count: number, size: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i += 1) await writeFile(join(dir, `f${String(i).padStart(3, '0')}.bin`), randomBytes(size));
}

/** A line of stdout and whether the process had already exited when it was read. */
interface Arrival {
  readonly message: JsonMessage;
  readonly afterExit: boolean;
}

/** Runs cairn as a monitoring script would: reads its stdout line by line while it runs. */
function follow(args: readonly string[], env: Record<string, string>): Promise<{ arrivals: Arrival[]; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', ...env } });
    let exited = false;
    let stderr = '';
    const arrivals: Arrival[] = [];
    child.on('exit', () => (exited = true));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => arrivals.push({ message: jsonLines(`${line}\n`)[0]!, afterExit: exited }));
    child.on('error', reject);
    child.on('close', (code) => resolve({ arrivals, code, stderr }));
  });
}

/** Output a terminal shows: the command run under a pseudo-terminal (util-linux `script`), stdout and stderr together. */
function underTerminal(args: readonly string[], env: Record<string, string>): string {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return execFileSync('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', TERM: 'xterm', COLUMNS: '200', ...env }, encoding: 'utf8' });
}

/** A cli-progress template placeholder, as the old status line printed on its first frame. */
const TEMPLATE = /\{[a-z_]+\}/;

describe('--json prints JSON Lines; a terminal gets a progress line with totals', () => {
  it('a script follows a backup line by line: status lines with growing counts and percent while it runs, warnings as lines, the summary last', async () => {
    const home = await tempDir();
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), CAIRN_PROGRESS_FPS: '20' };
    const src = join(home, 'src');
    await randomTree(src, 240, 500_000);
    const first = await cairn(['backup', src, '--json'], { home, env });
    expect(first.code, first.stderr).toBe(0);
    // New content of the same size: the backup reads every byte again, and the parent gives the totals.
    await randomTree(src, 240, 500_000);
    execFileSync('mkfifo', [join(src, 'pipe')]);

    const run = await follow(['backup', src, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const messages = run.arrivals.map((a) => a.message);
    expect(messages.at(-1)?.type).toBe('summary');
    expect(messages.filter((m) => m.type === 'summary')).toHaveLength(1);
    expect(new Set(messages.map((m) => m.type))).toEqual(new Set(['status', 'warning', 'summary']));

    // Status lines at a steady pace (CAIRN_PROGRESS_FPS asks 20 a second; at most 4 come), read while the backup ran.
    const status = run.arrivals.filter((a) => a.message.type === 'status');
    expect(status.length).toBeGreaterThanOrEqual(3); // the first, at least one while files are read, the last
    const during = status.filter((a) => !a.afterExit && (a.message['percent'] as number | null) !== null && (a.message['percent'] as number) < 100);
    expect(during.length).toBeGreaterThanOrEqual(1);
    const fields = status.map((a) => a.message as JsonMessage & { filesDone: number; filesTotal: number | null; bytesDone: number; bytesTotal: number | null; percent: number | null; secondsRemaining: number | null; path: string });
    for (const f of fields) expect(Object.keys(f)).toEqual(expect.arrayContaining(['command', 'filesDone', 'filesTotal', 'bytesDone', 'bytesTotal', 'bytesPerSecond', 'percent', 'secondsElapsed', 'secondsRemaining', 'path']));
    for (let i = 1; i < fields.length; i += 1) {
      expect(fields[i]!.filesDone).toBeGreaterThanOrEqual(fields[i - 1]!.filesDone);
      expect(fields[i]!.bytesDone).toBeGreaterThanOrEqual(fields[i - 1]!.bytesDone);
      if (fields[i - 1]!.percent !== null) expect(fields[i]!.percent).toBeGreaterThanOrEqual(fields[i - 1]!.percent!);
    }
    // The totals are the parent's files and bytes; the last status line has done them all.
    const last = fields.at(-1)!;
    expect(last).toMatchObject({ command: 'backup', filesDone: 240, filesTotal: 240, bytesDone: 240 * 500_000, bytesTotal: 240 * 500_000, percent: 100, secondsRemaining: 0 });
    expect(fields.some((f) => f.path.startsWith(src))).toBe(true);

    // The fifo's warning came as a line before the summary, which keeps the fields of the result.
    const warning = messages.find((m) => m.type === 'warning');
    expect(warning).toMatchObject({ kind: 'special', path: join(src, 'pipe'), message: `${join(src, 'pipe')}: fifo recorded without content` });
    expect(messages.indexOf(warning!)).toBeLessThan(messages.length - 1);
    expect(messages.at(-1)).toMatchObject({ type: 'summary', partial: false, summary: { filesChanged: 240, bytesRead: 240 * 500_000 } });

    // -q: nothing but the summary.
    const quiet = await cairn(['backup', src, '--json', '-q'], { home, env });
    expect(jsonLines(quiet.stdout).map((m) => m.type)).toEqual(['summary']);
  }, 180_000);

  it('lists are one line per item then a summary with the count; a failure is an error line on stderr and no summary', async () => {
    const home = await tempDir();
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data') };
    await randomTree(join(home, 'src'), 3, 100);
    for (let i = 0; i < 2; i += 1) expect((await cairn(['backup', join(home, 'src'), '--json'], { home, env })).code).toBe(0);

    const snapshots = await cairn(['snapshots', '--json'], { home, env });
    expect(jsonLines(snapshots.stdout).map((m) => m.type)).toEqual(['snapshot', 'snapshot', 'summary']);
    expect(jsonItems(snapshots.stdout, 'snapshot')).toHaveLength(2);
    expect(jsonSummary(snapshots.stdout)).toEqual({ count: 2 });

    const ls = await cairn(['ls', 'latest', '--json'], { home, env });
    const entries = jsonItems(ls.stdout, 'entry') as { path: string; type: string }[];
    expect(entries.map((e) => [e.path, e.type])).toEqual([['src', 'dir'], ['src/f000.bin', 'file'], ['src/f001.bin', 'file'], ['src/f002.bin', 'file']]);
    expect(jsonSummary(ls.stdout)).toMatchObject({ count: 4 });

    const missing = await cairn(['backup', join(home, 'nope'), '--json'], { home, env });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(jsonError(missing.stderr)).toMatchObject({ type: 'error', error: { code: 'ERR_NOT_FOUND' } });
  }, 60_000);

  it('on a terminal, backup, restore, check --read-data and forget --prune show percent and ETA with totals, never a template', async () => {
    const home = await tempDir();
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), CAIRN_PROGRESS_FPS: '30' };
    const src = join(home, 'src');
    await randomTree(src, 60, 400_000);
    // No parent: the total is unknown, and the line says so.
    const first = underTerminal(['backup', src], env);
    expect(first).toContain('total unknown (no parent snapshot to go by)');
    expect(first).toMatch(/snapshot [0-9a-f]{8} saved/);
    await randomTree(src, 60, 400_000);
    execFileSync('mkfifo', [join(src, 'pipe')]);
    const frames = {
      backup: underTerminal(['backup', src], env),
      restore: underTerminal(['restore', 'latest', '--target', join(home, 'out')], env),
      check: underTerminal(['check', '--read-data'], env),
      // The first snapshot's data is all replaced: once it is forgotten, prune deletes its packs
      // (forget --prune shows the progress `prune` does: one function runs both).
      prune: underTerminal(['forget', '--keep-last', '1', '--prune', '--grace', '0'], env),
    };
    for (const [command, output] of Object.entries(frames)) {
      expect(output, command).not.toMatch(TEMPLATE);
      expect(output, command).toMatch(/\d+% \|/);
      expect(output, command).toContain('ETA ');
    }
    expect(frames.backup).toMatch(/\d+\/60 files \| [\d.]+ [KM]iB\/22\.9 MiB \| [\d.]+ [KMG]?i?B\/s \| ETA /);
    expect(frames.restore).toMatch(/\d+\/60 files \| [\d.]+ [KM]?i?B\/22\.9 MiB/);
    expect(frames.check).toMatch(/check: packs \| [=-]+ +\d+% \| \d+\/\d+/);
    expect(frames.prune).toMatch(/prune: (repack|delete) \| [=-]+ +\d+% \| \d+\/\d+/);
    // A warning gets a line of its own above the progress line, not written through it.
    const fifoWarning = `warning: ${join(src, 'pipe')}: fifo recorded without content`;
    const at = frames.backup.indexOf(fifoWarning);
    expect(at).toBeGreaterThan(-1);
    expect(frames.backup.slice(0, at)).toMatch(/(^|\n|\x1b\[2K)$/); // a cleared line, or a line of its own
    expect(frames.backup.slice(at + fifoWarning.length)).toMatch(/^\r?\n/);
    // The result comes after the progress line, which is cleared.
    expect(frames.restore).toMatch(/restored 60 files/);
  }, 180_000);

  it('on a terminal, device backup and device restore show their totals, percent and ETA, never a template', async () => {
    const home = await tempDir();
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), CAIRN_PROGRESS_FPS: '30' };
    const board = join(home, 'board');
    await randomTree(join(board, 'lib'), 4, 30_000);
    const backup = underTerminal(['device', 'backup', '--port', 'sim', '--sim-root', board], env);
    const restore = underTerminal(['device', 'restore', 'latest', '--port', 'sim', '--sim-root', join(home, 'board2')], env);
    for (const [command, output] of Object.entries({ backup, restore })) {
      expect(output, command).not.toMatch(TEMPLATE);
      expect(output, command).toMatch(/\d+% \| \d\/4 files \| [\d.]+ (B|KiB)\/117\.2 KiB \| [\d.]+ [KMG]?i?B\/s \| ETA /);
    }
    expect(backup).toMatch(/snapshot [0-9a-f]{8} saved/);
    expect(restore).toMatch(/restored 4 files/);
  }, 120_000);
});
