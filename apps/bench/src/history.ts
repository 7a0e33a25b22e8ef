import { readdir, rm } from 'node:fs/promises';
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
 * up (the first tool rotates), so the tools see one project evolving.
 */
export async function runHistory(options: HistoryOptions): Promise<HistoryResult> {
  const versions = await listVersions(options.historyDir);
  const path = join(options.runDir, 'data', basename(options.historyDir));
  const samples: HistorySample[] = [];
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
    if (!options.keep) await rm(repDir, { recursive: true, force: true });
  }
  if (!options.keep) await rm(path, { recursive: true, force: true });
  return { path, versions, samples, failures };
}
