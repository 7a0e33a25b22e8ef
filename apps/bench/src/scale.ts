import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sample } from './compare.js';
import { formatRss, formatSeconds, markdownTable } from './format.js';
import { rotate } from './rotate.js';
import { runTool } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import { applyScaleChange, undoChange } from './scale-tree.js';
import type { ScaleTree } from './scale-tree.js';
import { createStepGuard } from './step-guard.js';
import type { Failure } from './step-guard.js';
import { median } from './stats.js';
import { createToolDriver } from './tools.js';
import type { ToolName } from './tools.js';

/** The scale targets for cairn: a no-op backup under 20 s; the 500-file change under 5 s more than the no-op. */
export const SCALE_TARGETS = { noopSeconds: 20, changeOverNoopSeconds: 5 } as const;

/** What runScale needs. */
export interface ScaleOptions {
  readonly tree: ScaleTree;
  readonly runDir: string;
  readonly tools: readonly { readonly name: ToolName; readonly executable: string }[];
  readonly reps: number;
  readonly cairnArgs: readonly string[];
  readonly settings: RunSettings;
  readonly log: (line: string) => void;
}

/** Everything measured (phases first, noop and change). */
export interface ScaleResult {
  readonly samples: readonly Sample[];
  readonly failures: readonly Failure[];
  readonly changedFiles: number;
}

/**
 * Backs the scale tree up with each tool: a first backup, a no-op backup, then one after
 * changing 500 files (undone afterwards, so the cached tree stays as generated).
 */
export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const samples: Sample[] = [];
  const failures: Failure[] = [];
  let changedFiles = 0;
  for (let rep = 1; rep <= options.reps; rep += 1) {
    const repDir = join(options.runDir, `rep-${rep}`);
    const order = rotate(options.tools, rep - 1).map((t) => createToolDriver(t.name, { executable: t.executable, dir: join(repDir, t.name), cairnArgs: options.cairnArgs }));
    const guard = createStepGuard(rep, failures, options.settings, options.log);
    for (const driver of order) await guard.start(driver);
    try {
      for (const phase of ['first', 'noop', 'change'] as const) {
        if (phase === 'change') changedFiles = await applyScaleChange(options.tree);
        for (const driver of order) {
          await guard.attempt(driver, phase, async () => {
            const run = await runTool(driver, `${phase} backup`, driver.backup([options.tree.root], phase), options.settings);
            samples.push({ rep, tool: driver.name, phase, seconds: run.seconds, peakRss: run.peakRss });
            options.log(`rep ${rep}: ${driver.name} ${phase} ${run.seconds.toFixed(2)} s`);
          });
        }
      }
    } finally {
      await undoChange(options.tree);
      await rm(repDir, { recursive: true, force: true });
    }
  }
  return { samples, failures, changedFiles };
}

/** The scale table: medians per phase and tool, the change's cost over the no-op, and cairn's targets. */
export function scaleTable(result: ScaleResult, tools: readonly ToolName[]): string {
  const med = (tool: ToolName, phase: string, field: 'seconds' | 'peakRss'): number | undefined =>
    median(result.samples.filter((s) => s.tool === tool && s.phase === phase).map((s) => s[field]).filter((v): v is number => v !== undefined));
  const over = (tool: ToolName): number | undefined => {
    const change = med(tool, 'change', 'seconds');
    const noop = med(tool, 'noop', 'seconds');
    return change === undefined || noop === undefined ? undefined : change - noop;
  };
  const rows = [
    ['first backup', ...tools.map((t) => formatSeconds(med(t, 'first', 'seconds')))],
    ['no-op backup', ...tools.map((t) => formatSeconds(med(t, 'noop', 'seconds')))],
    [`backup after changing ${result.changedFiles} files`, ...tools.map((t) => formatSeconds(med(t, 'change', 'seconds')))],
    ['  of which more than the no-op', ...tools.map((t) => formatSeconds(over(t)))],
    ['peak RSS, first backup', ...tools.map((t) => formatRss(med(t, 'first', 'peakRss')))],
    ['peak RSS, no-op backup', ...tools.map((t) => formatRss(med(t, 'noop', 'peakRss')))],
  ];
  if (tools.includes('cairn')) {
    const noop = med('cairn', 'noop', 'seconds');
    const extra = over('cairn');
    const verdict = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? 'met' : 'MISSED');
    rows.push([`cairn target: no-op under ${SCALE_TARGETS.noopSeconds} s`, ...tools.map((t) => (t === 'cairn' ? verdict(noop === undefined ? undefined : noop < SCALE_TARGETS.noopSeconds) : ''))]);
    rows.push([`cairn target: change under no-op + ${SCALE_TARGETS.changeOverNoopSeconds} s`, ...tools.map((t) => (t === 'cairn' ? verdict(extra === undefined ? undefined : extra < SCALE_TARGETS.changeOverNoopSeconds) : ''))]);
  }
  return markdownTable(['scale', ...tools], rows);
}
