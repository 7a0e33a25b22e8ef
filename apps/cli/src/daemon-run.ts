/**
 * The daemon's loop, shared by `cairn daemon` and `cairn watch`: each plan's backup and
 * maintenance jobs on the scheduler, activity plans on the file watcher, every event logged as a
 * JSON line and handed to the plan's hooks, and each job's record saved to the state file.
 * Between runs it holds nothing open on any repository: each run is a child `cairn` process.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { createActivityTrigger, createScheduler, systemClock } from '@cairn/schedule';
import type { Clock, PlanRecord, RunOutcome, ScheduledPlan, SchedulerEvent } from '@cairn/schedule';
import { watchPaths } from '@cairn/schedule/watch';
import type { PathWatch } from '@cairn/schedule/watch';
import { createPolicy } from '@cairn/vcs/selector';
import type { Policy } from '@cairn/vcs/selector';
import { resolveBackupPaths } from '@cairn/repository';
import { createLocalSource } from '@cairn/transport';
import { backupPlan } from './backup-plan.js';
import { hookPayload, runHooks } from './hooks.js';
import type { HookEvent, MaintenanceJob, Plan } from './plans.js';
import { runBackup, runMaintenance } from './plan-runner.js';
import { touchesTrackedFile } from './tracked-change.js';
import { appendLog, claimStateDir, readState, writeState } from './daemon-state.js';
import type { DaemonState } from './daemon-state.js';

/** Options of startDaemon. */
export interface DaemonOptions {
  readonly plans: readonly Plan[];
  readonly stateDir: string;
  readonly logFile: string;
  /** Watch these plans' paths whatever their trigger (`cairn watch`); default: plans with trigger "activity". */
  readonly watchAll?: boolean;
  /** Called with a one-line account of each event (the command prints it on stderr). */
  onLine?(line: string): void;
  readonly clock?: Clock;
}

/** A running daemon. */
export interface Daemon {
  /** Stops the timers and watchers and waits for the runs in progress. */
  stop(): Promise<void>;
}

/** The scheduler's name of a plan's maintenance job. */
const jobName = (plan: Plan, job?: MaintenanceJob): string => (job === undefined ? plan.name : `${plan.name}:${job.kind}`);

/** Starts the daemon's loop; resolves once every watch is set. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const clock = options.clock ?? systemClock();
  const release = await claimStateDir(options.stateDir);
  const state: DaemonState = await readState(options.stateDir).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  const byJob = new Map<string, { plan: Plan; job?: MaintenanceJob }>();
  const scheduled: ScheduledPlan[] = [];
  for (const plan of options.plans) {
    const watched = options.watchAll === true || plan.trigger === 'activity';
    byJob.set(plan.name, { plan });
    scheduled.push({ name: plan.name, schedule: watched && options.watchAll === true ? null : plan.schedule, retry: plan.retry });
    for (const job of plan.maintenance) {
      byJob.set(jobName(plan, job), { plan, job });
      scheduled.push({ name: jobName(plan, job), schedule: job.schedule, retry: plan.retry });
    }
  }
  let saving = Promise.resolve();
  const save = (): void => {
    const snapshot = { ...state };
    saving = saving.then(() => writeState(options.stateDir, snapshot)).catch((error: unknown) => options.onLine?.(`cannot save the daemon state: ${(error as Error).message}`));
  };
  let logging = Promise.resolve();
  const log = (entry: Record<string, unknown>): void => {
    const line = { time: new Date(clock.now()).toISOString(), ...entry };
    logging = logging.then(() => appendLog(options.logFile, line)).catch((error: unknown) => options.onLine?.(`cannot write the log ${options.logFile}: ${(error as Error).message}`));
  };

  const onEvent = (event: SchedulerEvent): void => {
    const target = byJob.get(event.plan);
    if (target === undefined) return;
    const { plan, job } = target;
    const operation = job?.kind ?? 'backup';
    const outcome: Partial<RunOutcome> = 'outcome' in event ? event.outcome : {};
    const entry = {
      plan: plan.name, operation, event: event.type, reason: event.reason,
      ...('durationMs' in event ? { durationMs: event.durationMs } : {}),
      ...('why' in event ? { error: event.why } : {}),
      ...outcome,
      ...('failures' in event ? { failures: event.failures } : {}),
    };
    log(entry);
    options.onLine?.(`${plan.name} ${operation} ${event.type}${outcome.snapshot === undefined ? '' : ` ${outcome.snapshot.slice(0, 8)}`}${outcome.error === undefined ? '' : `: ${outcome.error}`}`);
    if (job !== undefined) return; // hooks are about backups
    const payload = hookPayload(plan, event.type as HookEvent, {
      reason: event.reason,
      ...(outcome.snapshot === undefined ? {} : { snapshot: outcome.snapshot }),
      ...(outcome.files === undefined ? {} : { files: outcome.files }),
      ...(outcome.bytes === undefined ? {} : { bytes: outcome.bytes }),
      ...('durationMs' in event ? { durationMs: event.durationMs } : {}),
      ...(outcome.error === undefined ? 'why' in event ? { error: event.why } : {} : { error: outcome.error }),
    }, event.time);
    void runHooks(plan.hooks[event.type as HookEvent], payload).then((reports) => {
      for (const report of reports) {
        log({ plan: plan.name, operation: 'hook', event: event.type, hook: report.kind, ok: report.ok, ...(report.message === undefined ? {} : { message: report.message }) });
        if (!report.ok) options.onLine?.(`${plan.name} ${event.type} hook: ${report.message ?? 'failed'}`);
      }
    });
  };

  const turns = new Map<string, Promise<unknown>>();
  const inTurn = <T>(repo: string, work: () => Promise<T>): Promise<T> => {
    const result = (turns.get(repo) ?? Promise.resolve()).then(work, work);
    turns.set(repo, result.catch(() => undefined));
    return result;
  };
  const scheduler = createScheduler({
    clock,
    plans: scheduled,
    records: state,
    onEvent,
    onRecord: (name: string, record: PlanRecord) => {
      state[name] = record;
      save();
    },
    run: async (entry) => {
      const target = byJob.get(entry.name);
      if (target === undefined) throw new Error(`unknown job ${entry.name}`);
      const { plan, job } = target;
      // One job at a time per repository: a check or prune would meet a backup's lock.
      return inTurn(plan.repo, () => (job === undefined ? runBackup(plan) : runMaintenance(plan, job)));
    },
  });

  const watches: PathWatch[] = [];
  const stopTriggers: (() => void)[] = [];
  try {
    for (const plan of options.plans) {
      if (!(options.watchAll === true || plan.trigger === 'activity')) continue;
      const trigger = createActivityTrigger({
        clock,
        settle: plan.watch.settle,
        maxWait: plan.watch.maxWait,
        minFiles: plan.watch.minFiles,
        significant: touchesTrackedFile,
        ...(plan.watch.minBytes === undefined ? {} : { minBytes: plan.watch.minBytes, measure: measureBytes }),
        fire: (summary) => {
          log({ plan: plan.name, operation: 'watch', event: 'changes', files: summary.files, bytes: summary.bytes, why: summary.why });
          scheduler.trigger(plan.name, 'activity');
        },
      });
      stopTriggers.push(() => trigger.stop());
      watches.push(await watchPlan(plan, (path) => trigger.change(path), (error) => options.onLine?.(`${plan.name} watch: ${error.message}`)));
      log({ plan: plan.name, operation: 'watch', event: 'watching', paths: plan.paths, settleMs: plan.watch.settle });
    }
  } catch (error) {
    await Promise.all(watches.map((w) => w.close()));
    await release();
    throw error;
  }
  log({ operation: 'daemon', event: 'started', pid: process.pid, plans: options.plans.map((p) => p.name) });
  scheduler.start();
  return {
    async stop() {
      for (const stop of stopTriggers) stop();
      await Promise.all(watches.map((w) => w.close()));
      await scheduler.stop();
      log({ operation: 'daemon', event: 'stopped', pid: process.pid });
      await saving;
      await logging;
      await release();
    },
  };
}

async function measureBytes(paths: readonly string[]): Promise<number> {
  let total = 0;
  for (const path of paths) total += await stat(path).then((s) => (s.isFile() ? s.size : 0), () => 0);
  return total;
}

/**
 * Watches a plan's paths: its folders (a file's folder, keeping only that file), dropping the
 * repository itself, VCS internals and what the backup policy skips, so these never trigger.
 */
async function watchPlan(plan: Plan, onChange: (path: string) => void, onError: (error: Error) => void): Promise<PathWatch> {
  const roots: { path: string; dir: boolean }[] = [];
  for (const path of plan.paths) {
    const info = await stat(path).catch(() => null);
    roots.push({ path: resolve(path), dir: info?.isDirectory() ?? true });
  }
  // The policy `cairn backup` of these paths would apply (the same config files, the same projects).
  const settled = await backupPlan(await resolveBackupPaths(createLocalSource(), plan.paths), { vcs: undefined, policy: true });
  const policies = new Map<string, Policy>();
  for (const root of roots) {
    const options = root.dir ? settled.policy(root.path) : null;
    if (options !== null) policies.set(root.path, createPolicy(root.path, options));
  }
  const ignore = async (path: string): Promise<boolean> => {
    for (const root of roots) {
      if (!root.dir) {
        if (path === root.path) return false;
        continue;
      }
      if (path !== root.path && !path.startsWith(`${root.path}/`)) continue;
      const rel = relative(root.path, path);
      if (rel === '') return false;
      const policy = policies.get(root.path);
      if (policy === undefined) return false;
      const kind = await stat(path).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => 'file' as const);
      return (await policy.decide(rel.split('\\').join('/'), kind)).action === 'skip';
    }
    return true;
  };
  const repo = /^[a-z][a-z0-9+]*:/i.test(plan.repo) ? [] : [resolve(plan.repo)];
  return watchPaths({
    roots: [...new Set(roots.map((r) => (r.dir ? r.path : dirname(r.path))))],
    ignoreDirs: repo,
    ignoreGlobs: ['**/.git', '**/.hg', '**/.svn'],
    ignore,
    onChange,
    onError,
  });
}

/** The default log file in a state folder. */
export function defaultLogFile(dir: string): string {
  return join(dir, 'daemon.log');
}
