import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError } from '@cairn/core';
import { rotate } from './rotate.js';
import type { CommandSpec } from './run-measured.js';
import { runTool } from './run-tool.js';
import type { RunSettings } from './run-tool.js';
import { createToolDriver } from './tools.js';
import { readWorkingCopy, saveExtras, workingCopyAt } from '@cairn/vcs';
import type { VcsRepo } from './vcs-repo.js';

/** The `cairn backup --vcs` modes, in the order the bench runs them first. */
export const VCS_MODES = ['off', 'full', 'changes'] as const;
/** One `cairn backup --vcs` mode. */
export type VcsMode = (typeof VCS_MODES)[number];

/** What is timed: the two library calls, and a no-op backup in each mode. */
export type VcsMeasureName = 'readWorkingCopy' | 'saveExtras' | `backup-${VcsMode}`;

/** One timed run. */
export interface VcsSample {
  readonly rep: number;
  readonly name: VcsMeasureName;
  /** Wall time in milliseconds. */
  readonly ms: number;
}

/** Something the bench times: `run` does it once and returns its wall time in ms. */
export interface Measurement {
  readonly name: VcsMeasureName;
  run(): Promise<number>;
}

/** What the library measurements saw once, before timing (the bench's check that it reads what was built). */
export interface LibraryProbe {
  /** Paths readWorkingCopy listed (tracked, untracked and ignored entries). */
  readonly paths: number;
  readonly extrasFiles: readonly string[];
  readonly bundled: readonly string[];
}

/**
 * Throws unless the built CLI at `cli` can back up with `--vcs`: CairnError ERR_NOT_FOUND when it
 * is not there, ERR_UNSUPPORTED when `cairn backup --help` names no --vcs option (the bench
 * would time plain backups three times and call the difference the bridge's cost).
 */
export function checkCliVcs(cli: string): void {
  if (!existsSync(cli)) throw new CairnError('ERR_NOT_FOUND', `The cairn CLI ${cli} does not exist.`, { hint: 'build it first: npx --yes pnpm@10 run build' });
  const help = spawnSync(process.execPath, [cli, 'backup', '--help'], { encoding: 'utf8' });
  if (help.status !== 0) {
    throw new CairnError('ERR_IO', `\`cairn backup --help\` (${cli}) failed (exit ${String(help.status)}): ${`${help.stderr}${help.error?.message ?? ''}`.trim().split('\n').slice(-3).join(' / ')}`);
  }
  if (!/(^|\s)--vcs(?![\w-])/m.test(help.stdout)) {
    throw new CairnError('ERR_UNSUPPORTED', `The cairn CLI ${cli} has no \`backup --vcs\` option (its \`backup --help\` does not list one), so the end-to-end cost of the VCS bridge cannot be measured.`, {
      hint: 'build a CLI that has `backup --vcs off|full|changes` (npx --yes pnpm@10 run build), or pass --library-only to time readWorkingCopy and saveExtras alone',
    });
  }
}

/**
 * The library measurements on `repo`: readWorkingCopy of its working copy, and saveExtras of
 * that state into a fresh folder under `scratch` (removed after each run, untimed). Each is
 * run once untimed first (warm caches, as for the backups, whose first backup is untimed),
 * and what that run saw is checked against the repository as built: a CairnError ERR_FORMAT
 * names what differs.
 */
export async function libraryMeasurements(repo: VcsRepo, scratch: string): Promise<{ measurements: Measurement[]; probe: LibraryProbe }> {
  const copy = await workingCopyAt(repo.root);
  if (copy === null || copy.vcs !== 'git') throw new CairnError('ERR_FORMAT', `workingCopyAt(${repo.root}) found no git working copy there.`);
  const status = await readWorkingCopy(copy);
  const { state } = status;
  const problems = [
    state.head === repo.head ? '' : `head ${String(state.head)}, not ${repo.head}`,
    state.unpushed === repo.unpushedCommits ? '' : `${state.unpushed} unpushed commits, not ${repo.unpushedCommits}`,
    state.stashes.length === repo.stashes ? '' : `${state.stashes.length} stashes, not ${repo.stashes}`,
    state.dirty ? '' : 'a clean working tree, not a dirty one',
    status.files.size >= repo.files ? '' : `${status.files.size} paths, fewer than the ${repo.files} tracked files`,
  ].filter((p) => p !== '');
  if (problems.length > 0) throw new CairnError('ERR_FORMAT', `readWorkingCopy(${repo.root}) saw ${problems.join('; ')}.`);
  await mkdir(scratch, { recursive: true });
  let runs = 0;
  const saveOnce = async (): Promise<{ ms: number; files: readonly string[]; bundled: readonly string[] }> => {
    const out = join(scratch, `extras-${runs++}`);
    const started = performance.now();
    const manifest = await saveExtras(status, out);
    const ms = performance.now() - started;
    await rm(out, { recursive: true, force: true });
    return { ms, ...manifest };
  };
  const first = await saveOnce();
  if (!first.files.includes('git.bundle')) throw new CairnError('ERR_FORMAT', `saveExtras wrote no git.bundle for ${repo.root}, which has ${repo.unpushedCommits} unpushed commits and ${repo.stashes} stash.`);
  const measurements: Measurement[] = [
    {
      name: 'readWorkingCopy',
      run: async () => {
        const started = performance.now();
        await readWorkingCopy(copy);
        return performance.now() - started;
      },
    },
    { name: 'saveExtras', run: async () => (await saveOnce()).ms },
  ];
  return { measurements, probe: { paths: status.files.size, extrasFiles: first.files, bundled: first.bundled } };
}

/**
 * The end-to-end measurements: for each mode, a cairn repository under `scratch` (`cairn-<mode>`,
 * with its own HOME and caches), initialised and given a first `backup --vcs <mode>` of the
 * repository folder now, untimed; each run is then a no-op backup in that mode, timed from spawn
 * to exit. The backups run as a user's would, with the default policy, and `--vcs` is the only
 * argument that differs between the modes. A failing command is a CairnError ERR_IO with the
 * end of its output.
 */
export async function backupMeasurements(cli: string, repo: VcsRepo, scratch: string, log: (line: string) => void): Promise<Measurement[]> {
  const settings: RunSettings = { timeBinary: undefined, dropCaches: false };
  const measurements: Measurement[] = [];
  for (const mode of VCS_MODES) {
    // The driver gives the repository its own HOME and caches; the backup command is spelled out
    // here, so the compare command's choices for cairn (no policy, no VCS) do not apply.
    const driver = createToolDriver('cairn', { executable: cli, dir: join(scratch, `cairn-${mode}`) });
    const init = driver.init();
    const backup: CommandSpec = { file: init.file, args: [cli, 'backup', '-r', driver.repo, '-q', '--vcs', mode, repo.root], env: init.env };
    for (const folder of driver.folders) await mkdir(folder, { recursive: true });
    await runTool(driver, 'init', init, settings);
    const first = await runTool(driver, `first backup --vcs ${mode}`, backup, settings);
    log(`first backup --vcs ${mode}: ${first.seconds.toFixed(2)} s`);
    measurements.push({
      name: `backup-${mode}`,
      run: async () => (await runTool(driver, `no-op backup --vcs ${mode}`, backup, settings)).seconds * 1000,
    });
  }
  return measurements;
}

/** Runs every measurement once per repetition, `reps` times; the first one rotates with each repetition. */
export async function runAlternating(measurements: readonly Measurement[], reps: number, log: (line: string) => void): Promise<VcsSample[]> {
  if (!Number.isSafeInteger(reps) || reps < 1) throw new RangeError(`reps must be a whole number >= 1, not ${String(reps)}`);
  const samples: VcsSample[] = [];
  for (let rep = 1; rep <= reps; rep += 1) {
    for (const measurement of rotate(measurements, rep - 1)) {
      const ms = await measurement.run();
      samples.push({ rep, name: measurement.name, ms });
      log(`rep ${rep}: ${measurement.name} ${ms.toFixed(1)} ms`);
    }
  }
  return samples;
}
