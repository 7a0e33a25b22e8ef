/**
 * How the daemon runs a plan's jobs: each as a `cairn backup` (`forget`, `prune`, `check`) child
 * process of this same program, so a scheduled backup is exactly the backup a user runs (the
 * same command, policy and config files), its repository lock ends with the process, and a crash
 * or a leak in one run cannot take the daemon down.
 */
import { spawn } from 'node:child_process';
import type { RunOutcome } from '@cairn/schedule';
import type { MaintenanceJob, Plan } from './plans.js';

/** What one cairn child process did. */
interface ChildResult {
  readonly code: number | null;
  readonly summary: Record<string, unknown> | null;
  readonly error: string | null;
}

/** Runs `cairn --json args…` (this program) and reads its summary line and error line. */
function runCairn(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve) => {
    const script = process.argv[1] ?? '';
    const child = spawn(process.execPath, [script, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-1_000_000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-100_000)));
    const parse = (text: string): Record<string, unknown>[] => text.split('\n').flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
    child.on('error', (error) => resolve({ code: null, summary: null, error: `cannot start cairn: ${error.message}` }));
    child.on('close', (code, signal) => {
      const summary = parse(stdout).reverse().find((m) => m['type'] === 'summary') ?? null;
      const failure = parse(stderr).find((m) => m['type'] === 'error');
      const message = (failure?.['error'] as { message?: string } | undefined)?.message;
      const error = code === 0 ? null : message ?? (signal !== null ? `cairn stopped by ${signal}` : stderr.trim().split('\n').slice(-3).join(' ') || `cairn exited with ${code}`);
      resolve({ code, summary, error });
    });
  });
}

/** The repository flags of a plan. */
function repoArgs(plan: Plan): string[] {
  return ['--repo', plan.repo, ...(plan.passwordFile === undefined ? [] : ['--password-file', plan.passwordFile])];
}

/** The environment of the children: the daemon's, without a CAIRN_REPO that would not be the plan's. */
function childEnv(): NodeJS.ProcessEnv {
  const { CAIRN_REPO: _repo, ...env } = process.env;
  return env;
}

/**
 * The `--keep-*` flags of a plan's retention, with a `--path` per path of the plan: a plan forgets
 * among its own snapshots only, never another plan's or a manual backup of other folders in the
 * same repository.
 */
export function retentionArgs(plan: Plan): string[] {
  return [...plan.paths.flatMap((path) => ['--path', path]), ...Object.entries(plan.retention).flatMap(([key, value]) => [`--keep-${key}`, String(value)])];
}

/**
 * Backs up a plan's paths (`cairn backup`), tagged and with meta plan=<name>; when a snapshot
 * was made and the plan has a retention, forgets by it (a forget that fails is told in `error`,
 * the backup's result stands).
 */
export async function runBackup(plan: Plan): Promise<RunOutcome> {
  const run = await runCairn([...repoArgs(plan), 'backup', '--quiet', '--meta', `plan=${plan.name}`, ...plan.tags.flatMap((tag) => ['--tag', tag]), '--', ...plan.paths], childEnv());
  const summary = run.summary ?? {};
  const totals = (summary['summary'] ?? {}) as Record<string, number>;
  const made = run.code === 0 || run.code === 3;
  const outcome: RunOutcome = {
    result: run.code === 0 ? 'success' : run.code === 3 ? 'partial' : 'failure',
    ...(typeof summary['id'] === 'string' ? { snapshot: summary['id'] } : {}),
    ...(made ? { files: (totals['filesNew'] ?? 0) + (totals['filesChanged'] ?? 0) + (totals['filesUnchanged'] ?? 0) + (totals['filesReferenced'] ?? 0), bytes: totals['bytesRead'] ?? 0 } : {}),
    ...(run.code === 3 ? { error: 'some files could not be read, or changed while read' } : run.error === null ? {} : { error: run.error }),
  };
  if (!made || Object.keys(plan.retention).length === 0) return outcome;
  const forget = await runCairn([...repoArgs(plan), 'forget', ...retentionArgs(plan)], childEnv());
  return forget.code === 0 ? outcome : { ...outcome, error: `${outcome.error === undefined ? '' : `${outcome.error}; `}the backup was made, but forgetting by the retention failed: ${forget.error ?? 'unknown error'}` };
}

/** Runs one maintenance job of a plan (`cairn forget` by its retention, `prune`, or `check`). */
export async function runMaintenance(plan: Plan, job: MaintenanceJob): Promise<RunOutcome> {
  const args = job.kind === 'forget' ? ['forget', ...retentionArgs(plan)]
    : job.kind === 'prune' ? ['prune']
    : ['check', ...(job.readDataSubset === undefined ? [] : ['--read-data-subset', job.readDataSubset])];
  const run = await runCairn([...repoArgs(plan), ...args], childEnv());
  return { result: run.code === 0 ? 'success' : 'failure', ...(run.error === null ? {} : { error: run.error }) };
}
