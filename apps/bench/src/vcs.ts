import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { DEFAULT_CAIRN_CLI, DEFAULT_WORK, integer } from './cli-options.js';
import { commandLine } from './command-line.js';
import { formatMachine, machineInfo } from './machine-info.js';
import { writeJson } from './session.js';
import { createToolDriver } from './tools.js';
import { backupMeasurements, checkCliVcs, libraryMeasurements, runAlternating } from './vcs-measure.js';
import { summarizeVcs, VCS_GOAL_MS, vcsTable } from './vcs-report.js';
import { buildVcsRepo, VCS_REPO_MIN_FILES } from './vcs-repo.js';

interface VcsFlags {
  readonly files: number;
  readonly reps: number;
  readonly seed: number;
  readonly work: string;
  readonly json?: string;
  readonly cairnCli: string;
  readonly libraryOnly?: boolean;
  readonly keep?: boolean;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** `cairn-bench vcs`: what the VCS bridge adds to a backup of one git repository (issue 6: under 100 ms). */
export function registerVcs(program: Command): void {
  program
    .command('vcs')
    .description(`time the VCS bridge on a generated git repository: readWorkingCopy and saveExtras alone, and no-op backups with --vcs off, full and changes; the added time per repository against the ${VCS_GOAL_MS} ms goal`)
    .addOption(new Option('--files <n>', 'tracked files in the generated repository').default(10_000).argParser(integer(VCS_REPO_MIN_FILES, 10_000_000)))
    .addOption(new Option('--reps <n>', 'repetitions of each measurement (medians are reported)').default(5).argParser(integer(1, 1000)))
    .addOption(new Option('--seed <n>', 'seed of the generated repository').default(1).argParser(integer(0, 2 ** 32 - 1)))
    .option('--work <dir>', 'scratch space: the repository, its remote and the cairn repositories of the run', DEFAULT_WORK)
    .option('--json <file>', 'write every sample, the medians and the added times as JSON to <file>')
    .option('--cairn-cli <path>', 'the built cairn CLI', DEFAULT_CAIRN_CLI)
    .option('--library-only', 'time readWorkingCopy and saveExtras alone, without cairn backups')
    .option('--keep', "keep the run's folder (repository, remote, cairn repositories)")
    .action(async (flags: VcsFlags) => {
      const cli = resolve(flags.cairnCli);
      const endToEnd = flags.libraryOnly !== true;
      if (endToEnd) checkCliVcs(cli);
      const work = resolve(flags.work);
      await mkdir(work, { recursive: true });
      const runDir = await mkdtemp(join(work, 'vcs-'));
      try {
        log(`building a git repository of ${flags.files.toLocaleString('en')} files in ${runDir}`);
        const started = performance.now();
        const repo = await buildVcsRepo({ dir: join(runDir, 'git'), files: flags.files, seed: flags.seed, log });
        log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        const library = await libraryMeasurements(repo, join(runDir, 'extras'));
        const measurements = [...library.measurements, ...(endToEnd ? await backupMeasurements(cli, repo, join(runDir, 'cairn'), log) : [])];
        const samples = await runAlternating(measurements, flags.reps, log);
        const summary = summarizeVcs(samples);
        const table = vcsTable(summary, repo.files);
        const machine = machineInfo(endToEnd ? [createToolDriver('cairn', { executable: cli, dir: join(runDir, 'version') })] : []);
        const git = spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^git version /, '');
        const { probe } = library;
        const lines = [
          `command: ${commandLine(process.argv)}`,
          `${formatMachine(machine)}; git ${git}`,
          `repository: ${repo.files.toLocaleString('en')} tracked files (seed ${flags.seed}), HEAD ${repo.head.slice(0, 12)}, pushed to a bare remote; then ${repo.unpushedCommits} unpushed commits, ${repo.stashes} stash, ${repo.modified.length} edited files (1 staged), 1 untracked file, node_modules/ of ${repo.ignoredFiles} ignored files; readWorkingCopy lists ${probe.paths.toLocaleString('en')} paths; saveExtras writes ${probe.extrasFiles.join(', ')} (${probe.bundled.length} refs bundled)`,
          `reps: ${flags.reps}; the measurements alternate, the first one rotating; ${endToEnd ? 'backups: a no-op `cairn backup --vcs <mode>` of the repository folder (default policy) after an untimed first one, each mode into its own repository, timed from spawn to exit' : 'library only (--library-only): no cairn backups'}`,
          '',
          table,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        if (flags.json !== undefined) {
          await writeJson(flags.json, {
            command: commandLine(process.argv), machine, git, mode: 'vcs', files: flags.files, reps: flags.reps, seed: flags.seed, libraryOnly: !endToEnd,
            repository: { ...repo, pathsListed: probe.paths, extrasFiles: probe.extrasFiles, bundled: probe.bundled },
            samples, stats: summary.stats, addedMs: summary.addedMs, goalMs: VCS_GOAL_MS, goalMet: summary.goalMet, table,
          });
        }
      } finally {
        if (flags.keep === true) log(`kept ${runDir}`);
        else await rm(runDir, { recursive: true, force: true });
      }
    });
}
