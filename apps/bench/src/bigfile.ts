import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fillCompressible } from './binary-content.js';
import { diskUsage } from './disk-usage.js';
import { formatMegabytes, formatRss, formatSeconds, markdownTable } from './format.js';
import { createPrng, subSeed } from './prng.js';
import { rotate } from './rotate.js';
import { runTool } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import { createStepGuard } from './step-guard.js';
import type { Failure } from './step-guard.js';
import { median } from './stats.js';
import { createToolDriver } from './tools.js';
import type { ToolName } from './tools.js';
import { writeAll } from './write-all.js';

/** cairn's target for one big file: peak RSS under 300 MB. */
export const BIGFILE_TARGET_RSS = 300e6;

/** One backup of the big file. */
export interface BigfileSample {
  readonly rep: number;
  readonly tool: ToolName;
  readonly seconds: number;
  readonly peakRss: number | undefined;
  readonly repoBytes: number;
}

/**
 * The file of `bytes` compressible pseudo-random bytes (4 bits of entropy a byte, no
 * repeats), generated once under `work` in 16 MiB writes and reused.
 */
export async function ensureBigFile(work: string, bytes: number, seed: number): Promise<string> {
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`the big file's size must be a whole number of bytes >= 1, not ${String(bytes)}`);
  const dir = join(work, `bigfile-${bytes}-s${seed}`);
  const path = join(dir, 'big.bin');
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const partial = `${path}.partial-${process.pid}`;
  const fd = openSync(partial, 'w');
  try {
    const prng = createPrng(subSeed(seed, 7));
    const buffer = new Uint8Array(16 << 20);
    for (let at = 0; at < bytes; at += buffer.byteLength) {
      const piece = buffer.subarray(0, Math.min(buffer.byteLength, bytes - at));
      fillCompressible(prng, piece);
      writeAll(fd, piece);
    }
  } finally {
    closeSync(fd);
  }
  await rename(partial, path);
  return path;
}

/** Backs the big file up with each tool into a fresh repository, `reps` times. */
export async function runBigfile(options: {
  readonly path: string;
  readonly runDir: string;
  readonly tools: readonly { readonly name: ToolName; readonly executable: string }[];
  readonly reps: number;
  readonly cairnArgs: readonly string[];
  readonly settings: RunSettings;
  readonly log: (line: string) => void;
}): Promise<{ samples: BigfileSample[]; failures: Failure[] }> {
  const samples: BigfileSample[] = [];
  const failures: Failure[] = [];
  for (let rep = 1; rep <= options.reps; rep += 1) {
    const repDir = join(options.runDir, `rep-${rep}`);
    for (const tool of rotate(options.tools, rep - 1)) {
      const driver = createToolDriver(tool.name, { executable: tool.executable, dir: join(repDir, tool.name), cairnArgs: options.cairnArgs });
      const guard = createStepGuard(rep, failures, options.settings, options.log);
      await guard.start(driver);
      await guard.attempt(driver, 'backup', async () => {
        const run = await runTool(driver, 'backup', driver.backup([options.path], 'big'), options.settings);
        samples.push({ rep, tool: driver.name, seconds: run.seconds, peakRss: run.peakRss, repoBytes: await diskUsage(driver.repo) });
        options.log(`rep ${rep}: ${driver.name} backup ${run.seconds.toFixed(2)} s`);
      });
      await rm(driver.repo, { recursive: true, force: true }); // one repository at a time on disk
    }
    await rm(repDir, { recursive: true, force: true });
  }
  return { samples, failures };
}

/** The bigfile table: medians of time, throughput, peak RSS and repository size, and cairn's RSS target. */
export function bigfileTable(samples: readonly BigfileSample[], tools: readonly ToolName[], bytes: number): string {
  const med = (tool: ToolName, field: 'seconds' | 'peakRss' | 'repoBytes'): number | undefined =>
    median(samples.filter((s) => s.tool === tool).map((s) => s[field]).filter((v): v is number => v !== undefined));
  const rows = [
    ['backup', ...tools.map((t) => formatSeconds(med(t, 'seconds')))],
    ['throughput', ...tools.map((t) => {
      const s = med(t, 'seconds');
      return s === undefined ? '–' : `${(bytes / s / 1e6).toFixed(0)} MB/s`;
    })],
    ['peak RSS', ...tools.map((t) => formatRss(med(t, 'peakRss')))],
    ['repository size', ...tools.map((t) => formatMegabytes(med(t, 'repoBytes')))],
  ];
  if (tools.includes('cairn')) {
    const rss = med('cairn', 'peakRss');
    const verdict = rss === undefined ? '–' : rss < BIGFILE_TARGET_RSS ? 'met' : 'MISSED';
    rows.push([`cairn target: peak RSS under ${BIGFILE_TARGET_RSS / 1e6} MB`, ...tools.map((t) => (t === 'cairn' ? verdict : ''))]);
  }
  return markdownTable([`one ${(bytes / 2 ** 30).toFixed(2)} GiB file`, ...tools], rows);
}
