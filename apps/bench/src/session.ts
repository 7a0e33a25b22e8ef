import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CairnError } from '@cairn/core';
import type { CommonOptions } from './cli-options.js';
import { ensureTools } from './ensure-tools.js';
import { machineInfo } from './machine-info.js';
import type { MachineInfo } from './machine-info.js';
import { DROP_CACHES } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import { createToolDriver } from './tools.js';
import type { ToolName } from './tools.js';

/** One run of the bench: its folder, the tools that can run, and the machine. */
export interface Session {
  readonly work: string;
  readonly runDir: string;
  /** The tools that will run, in the order asked for. */
  readonly tools: readonly { readonly name: ToolName; readonly executable: string }[];
  readonly missing: readonly { readonly tool: ToolName; readonly reason: string }[];
  readonly settings: RunSettings;
  readonly notes: readonly string[];
  readonly machine: MachineInfo;
  /** Removes the run's folder (unless --keep). */
  close(): Promise<void>;
}

/**
 * Finds (or installs) the tools, makes a fresh run folder under the work folder and
 * reads the machine and tool versions. Throws CairnError ERR_NOT_FOUND when none of the
 * tools asked for can run, ERR_PERMISSION when --drop-caches cannot drop the page cache.
 */
export async function openSession(options: CommonOptions, log: (line: string) => void): Promise<Session> {
  const work = resolve(options.work);
  if (options.dropCaches === true) {
    try {
      accessSync(DROP_CACHES, constants.W_OK);
    } catch (error) {
      throw new CairnError('ERR_PERMISSION', `--drop-caches needs write access to ${DROP_CACHES}, which this process does not have.`, { hint: 'run as root, or leave --drop-caches out', cause: error });
    }
  }
  const check = ensureTools(options.tools, { cairnCli: resolve(options.cairnCli), install: options.install, log });
  for (const { reason } of check.missing) log(`left out: ${reason}`);
  const tools = options.tools.filter((name) => check.executables.has(name)).map((name) => ({ name, executable: check.executables.get(name)! }));
  if (tools.length === 0) {
    throw new CairnError('ERR_NOT_FOUND', `None of the tools asked for (${options.tools.join(', ')}) can run.`, { hint: check.missing.map((m) => m.reason).join('; ') });
  }
  await mkdir(work, { recursive: true });
  const runDir = await mkdtemp(join(work, 'run-'));
  const machine = machineInfo(tools.map((tool) => createToolDriver(tool.name, { executable: tool.executable, dir: join(runDir, 'version') })));
  return {
    work,
    runDir,
    tools,
    missing: check.missing,
    settings: { timeBinary: check.timeBinary, dropCaches: options.dropCaches === true },
    notes: check.notes,
    machine,
    close: async () => {
      if (options.keep !== true) await rm(runDir, { recursive: true, force: true });
    },
  };
}

/** Writes `value` as JSON to `file` (its folder is created). */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(resolve(file)), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
