import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '@cairn/core';
import { runMeasured } from './run-measured.js';
import type { CommandSpec, Measured } from './run-measured.js';
import type { ToolDriver } from './tools.js';

/** How measured commands run. */
export interface RunSettings {
  /** GNU time for peak RSS; undefined: RSS is not measured. */
  readonly timeBinary: string | undefined;
  /** Drop the page cache before each command (root only; slows everybody on the machine). */
  readonly dropCaches: boolean;
}

/** The file that drops the page cache when 3 is written to it. */
export const DROP_CACHES = '/proc/sys/vm/drop_caches';

/**
 * Runs one command of `driver` measured (wall time, and peak RSS through GNU time), after a
 * `sync`, so that no command's time holds the writeback of the commands before it.
 * Throws CairnError ERR_IO naming the tool, the step and the end of its stderr when it
 * does not exit with 0.
 */
export async function runTool(driver: ToolDriver, step: string, command: CommandSpec, settings: RunSettings): Promise<Measured> {
  // What the commands before left to write out (a restore's files, the one before's removal, a
  // repository's packs) is written first: no command's time holds another's writeback.
  spawnSync('sync');
  if (settings.dropCaches) writeFileSync(DROP_CACHES, '3\n');
  const result = await runMeasured(command, settings.timeBinary, join(driver.repo, '..', 'time-stats'));
  if (result.code !== 0) {
    const tail = result.stderr.trim().split('\n').slice(-6).join('\n') || result.stdout.trim().split('\n').slice(-6).join('\n');
    throw new CairnError('ERR_IO', `${driver.name} ${step} failed (exit code ${String(result.code)}): ${tail}`);
  }
  return result;
}
