import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CairnError } from '@cairn/core';
import { diskUsage } from './disk-usage.js';
import { mirrorTree } from './mirror-tree.js';
import { rotate } from './rotate.js';
import { runTool } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import { createStepGuard } from './step-guard.js';
import type { Failure } from './step-guard.js';
import { createToolDriver } from './tools.js';
import { digestTree, firstDifference } from './tree-digest.js';
import type { ToolName } from './tools.js';

/** The backup of one version by one tool. */
export interface HistorySample {
  readonly rep: number;
  readonly tool: ToolName;
  readonly version: string;
  readonly seconds: number;
  readonly peakRss: number | undefined;
  readonly repoBytes: number;
}

/** The restore of the last version by one tool, checked against the version folder. */
export interface HistoryRestoreSample {
  readonly rep: number;
  readonly tool: ToolName;
  readonly seconds: number;
  readonly peakRss: number | undefined;
  readonly userSeconds: number | undefined;
  readonly systemSeconds: number | undefined;
  /** The restored tree equals the last version (names, sizes, contents, link targets). */
  readonly verified: boolean;
  readonly detail?: string;
}

/** What runHistory needs. */
export interface HistoryOptions {
  /** A folder of version folders, backed up in name order (numbers compare as numbers: v2 before v10). */
  readonly historyDir: string;
  readonly runDir: string;
  readonly tools: readonly { readonly name: ToolName; readonly executable: string }[];
  readonly reps: number;
  readonly cairnArgs: readonly string[];
  readonly settings: RunSettings;
  readonly keep: boolean;
  readonly log: (line: string) => void;
}

/** Everything measured. */
export interface HistoryResult {
  readonly path: string;
  readonly versions: readonly string[];
  readonly samples: readonly HistorySample[];
  readonly restores: readonly HistoryRestoreSample[];
  readonly failures: readonly Failure[];
}

/** The version folders of `dir`, sorted by name with numbers compared as numbers. */
export async function listVersions(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    throw new CairnError('ERR_NOT_FOUND', `The history folder ${dir} cannot be read.`, { cause: error });
  });
  const versions = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (versions.length === 0) throw new CairnError('ERR_NOT_FOUND', `The history folder ${dir} holds no version folders.`, { hint: 'put one folder per version of the project in it, e.g. v01, v02, …' });
  return versions;
}

/**
 * Each repetition: every tool gets a fresh repository; then version after version is
 * mirrored to one fixed path (runDir/data/<name of historyDir>) and every tool backs it
 * up (the first tool rotates), so the tools see one project evolving. Then every tool
 * restores its last backup, checked against the last version folder.
 */
export async function runHistory(options: HistoryOptions): Promise<HistoryResult> {
  const versions = await listVersions(options.historyDir);
  const path = join(options.runDir, 'data', basename(options.historyDir));
  const samples: HistorySample[] = [];
  const restores: HistoryRestoreSample[] = [];
  const failures: Failure[] = [];
  for (let rep = 1; rep <= options.reps; rep += 1) {
    const repDir = join(options.runDir, `rep-${rep}`);
    await rm(path, { recursive: true, force: true });
    const drivers = options.tools.map((tool) => createToolDriver(tool.name, { executable: tool.executable, dir: join(repDir, tool.name), cairnArgs: options.cairnArgs }));
    const guard = createStepGuard(rep, failures, options.settings, options.log);
    for (const driver of drivers) await guard.start(driver);
    for (const [i, version] of versions.entries()) {
      const mirrored = await mirrorTree(join(options.historyDir, version), path);
      options.log(`rep ${rep}: version ${version}: ${mirrored.written} written, ${mirrored.kept} kept, ${mirrored.removed} removed`);
      for (const driver of rotate(drivers, rep - 1 + i)) {
        await guard.attempt(driver, `backup of ${version}`, async () => {
          const run = await runTool(driver, `backup of ${version}`, driver.backup([path], `v${i}`), options.settings);
          samples.push({ rep, tool: driver.name, version, seconds: run.seconds, peakRss: run.peakRss, repoBytes: await diskUsage(driver.repo) });
        });
      }
    }
    const last = versions.length - 1;
    const expected = await digestTree(join(options.historyDir, versions[last]!));
    for (const driver of rotate(drivers, rep - 1)) {
      await guard.attempt(driver, 'restore of the last version', async () => {
        const target = join(repDir, driver.name, 'restore');
        await mkdir(target, { recursive: true });
        const run = await runTool(driver, 'restore of the last version', driver.restore(`v${last}`, target), options.settings);
        let detail: string | undefined;
        try {
          detail = firstDifference(expected, await digestTree(driver.restoredRoot(target, path)));
        } catch (error) {
          detail = `cannot read the restored tree: ${error instanceof Error ? error.message : String(error)}`;
        }
        restores.push({ rep, tool: driver.name, seconds: run.seconds, peakRss: run.peakRss, userSeconds: run.userSeconds, systemSeconds: run.systemSeconds, verified: detail === undefined, ...(detail === undefined ? {} : { detail }) });
        options.log(`rep ${rep}: ${driver.name} restore of ${versions[last]!} ${run.seconds.toFixed(2)} s${detail === undefined ? '' : ` NOT VERIFIED: ${detail}`}`);
        if (!options.keep) await rm(target, { recursive: true, force: true });
      });
    }
    if (!options.keep) await rm(repDir, { recursive: true, force: true });
  }
  if (!options.keep) await rm(path, { recursive: true, force: true });
  return { path, versions, samples, restores, failures };
}
