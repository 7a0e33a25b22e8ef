import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_RETRY, parseDuration } from '@cairn/schedule';
import { globals, openOrCreateRepo, repoLocation } from '../context.js';
import { defaultLogFile, startDaemon } from '../daemon-run.js';
import { stateDir } from '../daemon-state.js';
import { DEFAULT_WATCH, loadPlans, plansFilePath } from '../plans.js';
import type { Plan } from '../plans.js';
import { parseCount, parseFlag, usageError } from '../usage.js';
import { addPlanFlags, runUntilSignal } from './daemon.js';

interface WatchFlags {
  readonly plans?: string;
  readonly stateDir?: string;
  readonly log?: string;
  readonly plan: string[];
  readonly settle?: string;
  readonly maxWait?: string;
  readonly minFiles?: string;
}

/** `cairn watch [paths…]`, `cairn watch --plan <name>` */
export function registerWatch(program: Command): void {
  addPlanFlags(program
    .command('watch')
    .description('back up paths (into --repo) or plans when their files change: once changes have been quiet for the settle time, at most every --max-wait while they continue; idle costs nothing')
    .argument('[paths...]', 'folders to watch and back up (or --plan)')
    .option('--plan <name>', 'watch this plan of the plans file (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('--settle <duration>', `how long changes must be quiet before a backup (default ${DEFAULT_WATCH.settle / 1000}s)`)
    .option('--max-wait <duration>', `while changes continue, a backup at least this often (default ${DEFAULT_WATCH.maxWait / 60_000}m)`)
    .option('--min-files <n>', 'back up only when at least this many files changed (default 1), or a file a git working copy tracks; fewer add up'), { log: true })
    .action(async (paths: string[], flags: WatchFlags, command: Command) => {
      const options = globals(command);
      if ((paths.length === 0) === (flags.plan.length === 0)) throw usageError('watch: give the folders to watch, or --plan <name> (not both)');
      const duration = (flag: string, value: string | undefined): number | undefined => (value === undefined ? undefined : parseFlag(flag, value, parseDuration));
      const settle = duration('--settle', flags.settle);
      const maxWait = duration('--max-wait', flags.maxWait);
      const minFiles = flags.minFiles === undefined ? undefined : parseCount('--min-files', flags.minFiles, 'a whole number of files');
      const tune = (plan: Plan): Plan => ({
        ...plan,
        watch: { ...plan.watch, ...(settle === undefined ? {} : { settle }), ...(maxWait === undefined ? {} : { maxWait }), ...(minFiles === undefined ? {} : { minFiles }) },
      });
      let plans: Plan[];
      if (paths.length > 0) {
        const { path: repo, isDefault } = repoLocation(options);
        // The default repository is created by the first backup, as `cairn backup` does; the runs name it explicitly.
        if (isDefault) await openOrCreateRepo(options);
        plans = [tune({
          name: 'watch', paths: paths.map((p) => resolve(p)), repo, ...(options.passwordFile === undefined ? {} : { passwordFile: resolve(options.passwordFile) }),
          schedule: null, trigger: 'activity', watch: DEFAULT_WATCH, retry: DEFAULT_RETRY, tags: [], retention: {}, maintenance: [], hooks: {},
        })];
      } else {
        const loaded = await loadPlans(plansFilePath(flags.plans));
        plans = flags.plan.map((name) => {
          const plan = loaded.plans.find((p) => p.name === name);
          if (plan === undefined) throw usageError(`watch --plan: ${loaded.file} has no plan ${JSON.stringify(name)} (plans: ${loaded.plans.map((p) => p.name).join(', ') || 'none'})`);
          return tune(plan);
        });
      }
      const dir = stateDir(flags.stateDir);
      await mkdir(dir, { recursive: true });
      const log = flags.log ?? defaultLogFile(dir);
      const quiet = options.quiet === true;
      if (!quiet) process.stderr.write(`cairn watch: ${plans.flatMap((p) => p.paths).join(', ')}; settle ${(plans[0]?.watch.settle ?? 0) / 1000} s; log ${log}\n`);
      await runUntilSignal(() => startDaemon({
        plans, stateDir: dir, logFile: log, watchAll: true,
        ...(quiet ? {} : { onLine: (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) }),
      }), quiet);
    });
}
