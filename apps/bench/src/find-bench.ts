import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatRss, formatSeconds, markdownTable } from './format.js';
import type { CommandSpec } from './run-measured.js';
import { runTool } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import { applyScaleChange, scaleFilePath, undoChange } from './scale-tree.js';
import type { ScaleTree } from './scale-tree.js';
import { createStepGuard } from './step-guard.js';
import type { Failure } from './step-guard.js';
import { median } from './stats.js';
import { createToolDriver } from './tools.js';
import type { ToolDriver, ToolName } from './tools.js';

/** cairn's target: find by name across every snapshot of the scale corpus under 2 s. */
export const FIND_TARGET_SECONDS = 2;

/** What runFind needs. */
export interface FindBenchOptions {
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

/** The searches timed: a name held by one file, and a glob matching a tenth of the files. */
export function findSearches(tree: ScaleTree): { readonly phase: string; readonly label: string; readonly pattern: string }[] {
  const name = scaleFilePath(Math.floor(tree.files / 3), tree.files).split('/').pop()!;
  return [
    { phase: 'find-name', label: `find by name (${name}: 1 file)`, pattern: name },
    { phase: 'find-glob', label: 'find by glob (*7.ts: a tenth of the files)', pattern: '*7.ts' },
  ];
}

/** One timed search. */
export interface FindSample {
  readonly rep: number;
  readonly tool: ToolName;
  /** `find-name` or `find-glob`. */
  readonly phase: string;
  readonly seconds: number;
  readonly peakRss: number | undefined;
}

/** Everything measured: each search by each tool. */
export interface FindBenchResult {
  readonly samples: readonly FindSample[];
  readonly failures: readonly Failure[];
}

/**
 * Backs the scale tree up `snapshots` times with each tool, with small changes between the
 * backups (a new file in one project each time; 500 files changed from the fifth on, undone
 * at the eighth), then times each tool's find over all those snapshots. The tree is left as
 * generated.
 */
export async function runFind(options: FindBenchOptions): Promise<FindBenchResult> {
  const samples: FindSample[] = [];
  const failures: Failure[] = [];
  const added: string[] = [];
  const repDir = join(options.runDir, 'find');
  const drivers = options.tools.map((t) => createToolDriver(t.name, { executable: t.executable, dir: join(repDir, t.name) }));
  const guard = createStepGuard(1, failures, options.settings, options.log);
  for (const driver of drivers) await guard.start(driver);
  try {
    for (let k = 1; k <= options.snapshots; k += 1) {
      if (k >= 2) {
        const file = join(options.tree.root, `project-${String((k * 7) % 50).padStart(2, '0')}`, `find-bench-${k}.ts`);
        await writeFile(file, `// snapshot ${k}\n`);
        added.push(file);
      }
      if (k === 5) await applyScaleChange(options.tree);
      if (k === 8) await undoChange(options.tree);
      for (const driver of drivers) {
        await guard.attempt(driver, `backup ${k}`, async () => {
          const run = await runTool(driver, `backup ${k}`, driver.backup([options.tree.root], `s${k}`), options.settings);
          options.log(`${driver.name} backup ${k} of ${options.snapshots}: ${run.seconds.toFixed(2)} s`);
        });
      }
    }
    for (let rep = 1; rep <= options.reps; rep += 1) {
      for (const search of findSearches(options.tree)) {
        for (const driver of drivers) {
          await guard.attempt(driver, search.phase, async () => {
            const run = await runTool(driver, search.phase, findCommand(driver, search.pattern), options.settings);
            samples.push({ rep, tool: driver.name, phase: search.phase, seconds: run.seconds, peakRss: run.peakRss });
            options.log(`rep ${rep}: ${driver.name} ${search.phase} ${run.seconds.toFixed(2)} s`);
          });
        }
      }
    }
  } finally {
    await undoChange(options.tree);
    await Promise.all(added.map((file) => rm(file, { force: true })));
    if (options.keep !== true) await rm(repDir, { recursive: true, force: true });
  }
  return { samples, failures };
}

/** The tool's find by name or glob over every snapshot (restic find; cairn find, its lines only). */
function findCommand(driver: ToolDriver, pattern: string): CommandSpec {
  const version = driver.version(); // the tool's executable and environment
  switch (driver.name) {
    case 'cairn':
      return { ...version, args: [version.args[0]!, 'find', '-r', driver.repo, '-q', pattern] };
    case 'restic':
      return { ...version, args: ['-r', driver.repo, 'find', pattern] };
    case 'borg':
      throw new Error('borg has no find over every archive');
  }
}

/** The find table: medians per search and tool, and cairn's target. */
export function findTable(result: FindBenchResult, tree: ScaleTree, tools: readonly ToolName[]): string {
  const med = (tool: ToolName, phase: string, field: 'seconds' | 'peakRss'): number | undefined =>
    median(result.samples.filter((s) => s.tool === tool && s.phase === phase).map((s) => s[field]).filter((v): v is number => v !== undefined));
  const rows: string[][] = [];
  for (const search of findSearches(tree)) {
    rows.push([search.label, ...tools.map((t) => formatSeconds(med(t, search.phase, 'seconds')))]);
    rows.push(['  peak RSS', ...tools.map((t) => formatRss(med(t, search.phase, 'peakRss')))]);
  }
  if (tools.includes('cairn')) {
    const name = med('cairn', 'find-name', 'seconds');
    rows.push([`cairn target: find by name under ${FIND_TARGET_SECONDS} s`, ...tools.map((t) => (t === 'cairn' ? (name === undefined ? '–' : name < FIND_TARGET_SECONDS ? 'met' : 'MISSED') : ''))]);
  }
  return markdownTable(['find', ...tools], rows);
}
