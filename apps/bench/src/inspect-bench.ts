import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '@cairn/core';
import { formatMegabytes, formatRatio, formatRss, formatSeconds, markdownTable } from './format.js';
import { HISTORY_LITERAL, HISTORY_NAME, historyEdits } from './history-edits.js';
import type { CommandSpec, Measured } from './run-measured.js';
import { runTool } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import type { ScaleTree } from './scale-tree.js';
import { createStepGuard } from './step-guard.js';
import type { Failure } from './step-guard.js';
import { ratioPeers } from './report.js';
import { median, ratio } from './stats.js';
import { createToolDriver } from './tools.js';
import type { ToolDriver, ToolName } from './tools.js';

/** The history commands timed, and cairn's target for each on the scale corpus (seconds). */
export const INSPECT_PHASES = [
  { phase: 'find', label: `find by name (${HISTORY_NAME})`, target: 2 },
  { phase: 'diff', label: 'diff of the last two snapshots', target: 1 },
  { phase: 'grep', label: 'grep a literal across every snapshot', target: 10 },
] as const;

/** One of INSPECT_PHASES. */
export type InspectPhase = (typeof INSPECT_PHASES)[number]['phase'];

/** What runInspect needs. */
export interface InspectBenchOptions {
  readonly tree: ScaleTree;
  readonly snapshots: number;
  readonly runDir: string;
  readonly tools: readonly { readonly name: ToolName; readonly executable: string }[];
  readonly reps: number;
  readonly settings: RunSettings;
  /** Keep the repositories (--keep). */
  readonly keep?: boolean;
  readonly log: (line: string) => void;
}

/** One timed command (for borg's find: the sum over every archive, the largest peak RSS). */
export interface InspectSample {
  readonly rep: number;
  readonly tool: ToolName;
  readonly phase: InspectPhase;
  readonly seconds: number;
  readonly peakRss: number | undefined;
}

/** What cairn grep's summary said it read. */
export interface GrepSummary {
  readonly snapshots: number;
  readonly contents: number;
  readonly matchingFiles: number;
  readonly bytesDecompressed: number;
  readonly logicalBytes: number;
}

/** Everything measured. */
export interface InspectBenchResult {
  readonly samples: readonly InspectSample[];
  readonly backups: readonly { readonly tool: ToolName; readonly snapshot: number; readonly seconds: number }[];
  readonly grep: GrepSummary | undefined;
  readonly failures: readonly Failure[];
}

/**
 * Backs the scale tree up `snapshots` times with each tool, with small changes between the
 * backups (20 files edited, one added, one removed, one renamed at the sixth), then times
 * each tool's find by name over every snapshot, its diff of the last two, and cairn's grep
 * for a literal over every snapshot. The tree is put back as generated.
 */
export async function runInspect(options: InspectBenchOptions): Promise<InspectBenchResult> {
  const samples: InspectSample[] = [];
  const backups: { tool: ToolName; snapshot: number; seconds: number }[] = [];
  const failures: Failure[] = [];
  let grep: GrepSummary | undefined;
  const repDir = join(options.runDir, 'inspect');
  const drivers = options.tools.map((t) => createToolDriver(t.name, { executable: t.executable, dir: join(repDir, t.name) }));
  const guard = createStepGuard(1, failures, options.settings, options.log);
  const edits = historyEdits(options.tree);
  for (const driver of drivers) await guard.start(driver);
  try {
    for (let k = 1; k <= options.snapshots; k += 1) {
      if (k >= 2) await edits.apply(k);
      for (const driver of drivers) {
        await guard.attempt(driver, `backup ${k}`, async () => {
          const run = await runTool(driver, `backup ${k}`, driver.backup([options.tree.root], `s${k}`), options.settings);
          backups.push({ tool: driver.name, snapshot: k, seconds: run.seconds });
          options.log(`${driver.name} backup ${k} of ${options.snapshots}: ${run.seconds.toFixed(2)} s`);
        });
      }
    }
    const ids = new Map<ToolDriver, readonly string[]>();
    for (const driver of drivers) {
      await guard.attempt(driver, 'snapshots', async () => {
        ids.set(driver, await snapshotIds(driver, options.snapshots, options.settings));
      });
    }
    const named = options.snapshots >= 2 ? 1 : 0; // projects holding the name in the last snapshot, at least
    for (let rep = 1; rep <= options.reps; rep += 1) {
      for (const { phase } of INSPECT_PHASES) {
        for (const driver of drivers) {
          const commands = inspectCommands(driver, phase, ids.get(driver) ?? []);
          if (commands.length === 0) continue;
          await guard.attempt(driver, phase, async () => {
            let seconds = 0;
            let peakRss: number | undefined;
            const outputs: string[] = [];
            for (const command of commands) {
              const run: Measured = await runTool(driver, phase, command, options.settings);
              seconds += run.seconds;
              if (run.peakRss !== undefined) peakRss = Math.max(peakRss ?? 0, run.peakRss);
              outputs.push(run.stdout);
            }
            const output = outputs.join('');
            if (phase === 'find' && named > 0 && !output.includes(HISTORY_NAME)) throw new CairnError('ERR_IO', `${driver.name} find printed no ${HISTORY_NAME}, which the snapshots hold`);
            if (phase === 'diff' && !output.includes(HISTORY_NAME)) throw new CairnError('ERR_IO', `${driver.name} diff did not list the added ${HISTORY_NAME}`);
            if (phase === 'grep') {
              grep = grepSummary(output);
              if (named > 0 && grep.matchingFiles === 0) throw new CairnError('ERR_IO', `cairn grep found no file holding "${HISTORY_LITERAL}", which the edits wrote`);
            }
            samples.push({ rep, tool: driver.name, phase, seconds, peakRss });
            options.log(`rep ${rep}: ${driver.name} ${phase} ${seconds.toFixed(2)} s`);
          });
        }
      }
    }
  } finally {
    await edits.undo();
    if (options.keep !== true) await rm(repDir, { recursive: true, force: true });
  }
  return { samples, backups, grep, failures };
}

/** The ids of the tool's snapshots, oldest first (borg: the archive names). */
async function snapshotIds(driver: ToolDriver, count: number, settings: RunSettings): Promise<string[]> {
  const version = driver.version();
  switch (driver.name) {
    case 'cairn': {
      const run = await runTool(driver, 'snapshots', { ...version, args: [version.args[0]!, 'snapshots', '-r', driver.repo, '--json'] }, settings);
      const lines = run.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { type: string; snapshot?: { id: string; timeNs: string } });
      return lines.flatMap((l) => (l.type === 'snapshot' && l.snapshot !== undefined ? [l.snapshot] : [])).sort((a, b) => (BigInt(a.timeNs) < BigInt(b.timeNs) ? -1 : 1)).map((s) => s.id);
    }
    case 'restic': {
      const run = await runTool(driver, 'snapshots', { ...version, args: ['-r', driver.repo, 'snapshots', '--json'] }, settings);
      const list = JSON.parse(run.stdout) as { id: string; time: string }[];
      return list.sort((a, b) => a.time.localeCompare(b.time)).map((s) => s.id);
    }
    case 'borg':
      return Array.from({ length: count }, (_, k) => `s${k + 1}`);
  }
}

/** The commands of one tool for `phase`: none when the tool lacks the operation. */
function inspectCommands(driver: ToolDriver, phase: InspectPhase, ids: readonly string[]): CommandSpec[] {
  const version = driver.version(); // the tool's executable and environment
  const [older, newer] = [ids[ids.length - 2] ?? ids[0] ?? '', ids[ids.length - 1] ?? ''];
  switch (driver.name) {
    case 'cairn': {
      const cli = (...args: string[]): CommandSpec => ({ ...version, args: [version.args[0]!, ...args] });
      if (phase === 'find') return [cli('find', '-r', driver.repo, HISTORY_NAME)];
      if (phase === 'diff') return [cli('diff', '-r', driver.repo, older, newer)];
      return [cli('grep', '-r', driver.repo, '--json', '-F', '-l', HISTORY_LITERAL)];
    }
    case 'restic':
      if (phase === 'find') return [{ ...version, args: ['-r', driver.repo, 'find', HISTORY_NAME] }];
      if (phase === 'diff') return [{ ...version, args: ['-r', driver.repo, 'diff', older, newer] }];
      return [];
    case 'borg':
      // borg 1.2 has no find over every archive: list each archive with the pattern.
      if (phase === 'find') return ids.map((archive) => ({ ...version, args: ['list', '--short', `${driver.repo}::${archive}`, `sh:**/${HISTORY_NAME}`] }));
      if (phase === 'diff') return [{ ...version, args: ['diff', `${driver.repo}::${older}`, newer] }];
      return [];
  }
}

/** Reads cairn grep's JSON summary line. */
function grepSummary(stdout: string): GrepSummary {
  const last = stdout.trim().split('\n').pop() ?? '';
  let summary: Partial<Record<keyof GrepSummary, unknown>> & { type?: unknown };
  try {
    summary = JSON.parse(last) as typeof summary;
  } catch {
    throw new CairnError('ERR_IO', `cairn grep --json did not end with a summary line: ${last.slice(0, 200)}`);
  }
  const field = (name: keyof GrepSummary): number => {
    const value = summary[name];
    if (typeof value !== 'number') throw new CairnError('ERR_IO', `cairn grep's summary has no number "${name}": ${last.slice(0, 200)}`);
    return value;
  };
  return { snapshots: field('snapshots'), contents: field('contents'), matchingFiles: field('matchingFiles'), bytesDecompressed: field('bytesDecompressed'), logicalBytes: field('logicalBytes') };
}

/** The table: medians per command and tool, cairn/peer ratios, and cairn's targets. */
export function inspectTable(result: InspectBenchResult, tools: readonly ToolName[]): string {
  const med = (tool: ToolName, phase: string, field: 'seconds' | 'peakRss'): number | undefined =>
    median(result.samples.filter((s) => s.tool === tool && s.phase === phase).map((s) => s[field]).filter((v): v is number => v !== undefined));
  const peers = ratioPeers(tools);
  const header = ['history command', ...tools, ...peers.map((p) => `cairn/${p}`), ...(tools.includes('cairn') ? ['cairn target'] : [])];
  const missing = (tool: ToolName, phase: InspectPhase): string =>
    tool === 'borg' && phase === 'find' ? '–' : tool !== 'cairn' && phase === 'grep' ? 'no content search' : '–';
  const rows: string[][] = [];
  for (const { phase, label, target } of INSPECT_PHASES) {
    const cairn = med('cairn', phase, 'seconds');
    const ratios = peers.map((p) => formatRatio(ratio(cairn, med(p, phase, 'seconds'))));
    const verdict = cairn === undefined ? '–' : `< ${target} s: ${cairn < target ? 'met' : 'MISSED'}`;
    const seconds = tools.map((t) => {
      const value = med(t, phase, 'seconds');
      if (value === undefined) return missing(t, phase);
      return t === 'borg' && phase === 'find' ? `${formatSeconds(value)} (list each archive)` : formatSeconds(value);
    });
    rows.push([label, ...seconds, ...ratios, ...(tools.includes('cairn') ? [verdict] : [])]);
    rows.push(['  peak RSS', ...tools.map((t) => formatRss(med(t, phase, 'peakRss'))), ...ratios.map(() => ''), ...(tools.includes('cairn') ? [''] : [])]);
  }
  const lines = [markdownTable(header, rows)];
  if (result.grep !== undefined) {
    const g = result.grep;
    lines.push(
      '',
      `cairn grep read ${formatMegabytes(g.bytesDecompressed)} decompressed (${g.contents.toLocaleString('en')} distinct contents, each once) for ${formatMegabytes(g.logicalBytes)} of files in ${g.snapshots} snapshots: ` +
        `${formatRatio(ratio(g.bytesDecompressed, g.logicalBytes))} of the logical size; ${g.matchingFiles} files match.`,
    );
  }
  if (tools.includes('borg')) lines.push('borg 1.2 has no find over every archive: its figure is `borg list --short <archive> sh:**/<name>` run once per archive, summed.');
  if (tools.some((t) => t !== 'cairn')) lines.push('restic and borg have no search of file contents (only mounting the repository and grepping, per snapshot).');
  return lines.join('\n');
}
