import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyTree } from './copy-tree.js';
import { applySmallChange } from './apply-change.js';
import type { ChangeSummary } from './apply-change.js';
import { diskUsage } from './disk-usage.js';
import { rotate } from './rotate.js';
import type { Measured } from './run-measured.js';
import { warmPageCache } from './page-cache.js';
import { runTool } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import { createStepGuard } from './step-guard.js';
import type { Failure } from './step-guard.js';
import { createToolDriver } from './tools.js';
import type { ToolDriver, ToolName } from './tools.js';
import { digestTree, firstDifference } from './tree-digest.js';
import type { TreeDigest } from './tree-digest.js';

/** The phases of one repetition, in order. */
export type Phase = 'first' | 'noop' | 'change' | 'restore';

/** Every phase, in the order they run. */
export const PHASES: readonly Phase[] = ['first', 'noop', 'change', 'restore'];

/** One measured run of one tool. */
export interface Sample {
  readonly rep: number;
  readonly tool: ToolName;
  readonly phase: Phase;
  readonly seconds: number;
  readonly peakRss: number | undefined;
  /** CPU seconds in user mode and in the kernel (GNU time), when measured. */
  readonly userSeconds?: number | undefined;
  readonly systemSeconds?: number | undefined;
  /** Repository size after a backup phase (du -sb of its folder). */
  readonly repoBytes?: number;
  /** After a restore: the restored tree equals the source (names, sizes, contents). */
  readonly verified?: boolean;
  readonly detail?: string;
}

/** What runComparison needs. */
export interface ComparisonOptions {
  /** The folder to copy and back up (left untouched). */
  readonly source: string;
  /** The run's own folder; the copy that is backed up is runDir/data/<name>. */
  readonly runDir: string;
  /** Where each repetition's repositories, tool homes and restores go (rep-N folders); default runDir. */
  readonly targetDir?: string;
  readonly name: string;
  readonly tools: readonly { readonly name: ToolName; readonly executable: string }[];
  readonly reps: number;
  readonly seed: number;
  readonly cairnArgs: readonly string[];
  readonly settings: RunSettings;
  /** Keep repositories and restores (default: removed after each repetition). */
  readonly keep: boolean;
  readonly log: (line: string) => void;
}

/** Everything measured. */
export interface ComparisonResult {
  /** The absolute path every tool backed up. */
  readonly path: string;
  readonly corpus: Pick<TreeDigest, 'files' | 'dirs' | 'symlinks' | 'bytes' | 'hash'>;
  readonly change: ChangeSummary | undefined;
  readonly samples: readonly Sample[];
  readonly failures: readonly Failure[];
}

/**
 * Runs `reps` repetitions. Each copies `source` to the same absolute path, then runs
 * every phase for every tool (tools alternate inside a phase; the first tool rotates
 * with each repetition): first backup into an empty repository, a no-op backup, one
 * deterministic small change (applySmallChange), a backup after it, and a restore of
 * the latest snapshot, verified against the changed tree.
 */
export async function runComparison(options: ComparisonOptions): Promise<ComparisonResult> {
  if (!Number.isInteger(options.reps) || options.reps < 1) throw new RangeError(`reps must be an integer >= 1, not ${String(options.reps)}`);
  const path = join(options.runDir, 'data', options.name);
  const samples: Sample[] = [];
  const failures: Failure[] = [];
  let corpus: ComparisonResult['corpus'] | undefined;
  let change: ChangeSummary | undefined;
  for (let rep = 1; rep <= options.reps; rep += 1) {
    const repDir = join(options.targetDir ?? options.runDir, `rep-${rep}`);
    await rm(path, { recursive: true, force: true });
    await mkdir(join(options.runDir, 'data'), { recursive: true });
    await copyTree(options.source, path);
    if (corpus === undefined) {
      const { files, dirs, symlinks, bytes, hash } = await digestTree(path);
      corpus = { files, dirs, symlinks, bytes, hash };
    }
    const order = rotate(options.tools, rep - 1).map((tool) =>
      createToolDriver(tool.name, { executable: tool.executable, dir: join(repDir, tool.name), cairnArgs: options.cairnArgs }),
    );
    const guard = createStepGuard(rep, failures, options.settings, options.log);
    for (const driver of order) await guard.start(driver);
    const measure = async (phase: Phase, driver: ToolDriver, run: () => Promise<Omit<Sample, 'rep' | 'tool' | 'phase'>>): Promise<void> =>
      guard.attempt(driver, phase, async () => {
        const sample: Sample = { rep, tool: driver.name, phase, ...(await run()) };
        samples.push(sample);
        options.log(`rep ${rep}: ${driver.name} ${phase} ${sample.seconds.toFixed(2)} s${sample.verified === false ? ` NOT VERIFIED: ${sample.detail ?? ''}` : ''}`);
      });
    const backupPhase = async (phase: Phase): Promise<void> => {
      for (const driver of order) {
        // Every tool starts from a warm page cache (borg drops what it read), unless each measured command drops it.
        if (!options.settings.dropCaches) await warmPageCache(path);
        await measure(phase, driver, async () => {
          const run = await runTool(driver, `${phase} backup`, driver.backup([path], phase), options.settings);
          return { ...figures(run), repoBytes: await diskUsage(driver.repo) };
        });
      }
    };
    await backupPhase('first');
    await backupPhase('noop');
    change = await applySmallChange(path, options.seed);
    const expected = await digestTree(path);
    await backupPhase('change');
    for (const driver of order) {
      await measure('restore', driver, async () => {
        const target = join(repDir, driver.name, 'restore');
        await mkdir(target, { recursive: true });
        const run = await runTool(driver, 'restore', driver.restore('change', target), options.settings);
        const root = driver.restoredRoot(target, path);
        let difference: string | undefined;
        try {
          difference = firstDifference(expected, await digestTree(root));
        } catch (error) {
          difference = `cannot read the restored tree ${root}: ${error instanceof Error ? error.message : String(error)}`;
        }
        if (!options.keep) await rm(target, { recursive: true, force: true });
        return { ...figures(run), verified: difference === undefined, ...(difference === undefined ? {} : { detail: difference }) };
      });
    }
    if (!options.keep) await rm(repDir, { recursive: true, force: true });
  }
  if (!options.keep) await rm(path, { recursive: true, force: true });
  return { path, corpus: corpus!, change, samples, failures };
}

/** What a sample keeps of a measured command: wall time, peak RSS, user and system CPU time. */
function figures(run: Measured): Pick<Sample, 'seconds' | 'peakRss' | 'userSeconds' | 'systemSeconds'> {
  return { seconds: run.seconds, peakRss: run.peakRss, userSeconds: run.userSeconds, systemSeconds: run.systemSeconds };
}
