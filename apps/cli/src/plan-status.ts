/** Each plan's last run, next run, failures and whether it is overdue: what `cairn status` prints and `cairn ui` shows. */
import { nextDue, systemClock } from '@cairn/schedule';
import type { PlanRecord } from '@cairn/schedule';
import { repositorySize } from '@cairn/repository/maintenance';
import { openBackend } from './backend.js';
import { readState, stateDir } from './daemon-state.js';
import { loadPlans, plansFilePath } from './plans.js';
import type { Plan } from './plans.js';

/** A plan's status, as `status --json` prints it. */
export interface PlanStatus {
  readonly plan: string;
  readonly trigger: 'schedule' | 'activity';
  readonly schedule: string | null;
  readonly lastRun: { result: string; time: string; snapshot: string | null; durationMs: number; error: string | null } | null;
  readonly lastSuccess: string | null;
  readonly nextRun: string | null;
  readonly failures: number;
  readonly repositorySize: number | null;
  readonly overdue: boolean;
  readonly why: string | null;
}

/** Why a plan is overdue, or null: no success within one and a half of its schedule's interval (a late or retried run is not yet an alarm), or runs that never succeeded. */
function overdue(plan: Plan, record: PlanRecord, now: number): string | null {
  if (plan.schedule === null) return record.failures > 0 ? `its last ${record.failures} run(s) failed` : null;
  const allowed = plan.schedule.interval * 1.5;
  if (record.lastSuccess === undefined) {
    if (record.lastRun !== undefined) return 'it has never succeeded';
    const since = record.lastSlot;
    return since === undefined || now - since > allowed ? 'it has never succeeded' : null;
  }
  return now - record.lastSuccess > allowed ? `no success for ${Math.round((now - record.lastSuccess) / 60_000)} min (expected every ${Math.round(plan.schedule.interval / 60_000)} min)` : null;
}

/** Where the plans and the daemon's state are (--plans, --state-dir; default: the environment's), and whether to measure each repository. */
export interface PlanStatusOptions {
  readonly plans?: string | undefined;
  readonly stateDir?: string | undefined;
  readonly size: boolean;
}

/** The status of every plan in the plans file, in its order (`cairn status --json` lists these). */
export async function planStatuses(options: PlanStatusOptions): Promise<PlanStatus[]> {
  const { plans } = await loadPlans(plansFilePath(options.plans));
  const state = await readState(stateDir(options.stateDir));
  const now = systemClock().now();
  const sizes = new Map<string, Promise<number | null>>();
  const statuses: PlanStatus[] = [];
  for (const plan of plans) {
    const record: PlanRecord = state[plan.name] ?? { failures: 0 };
    if (options.size && !sizes.has(plan.repo)) sizes.set(plan.repo, repositorySize(openBackend(plan.repo)).catch(() => null));
    const next = nextDue({ name: plan.name, schedule: plan.schedule, retry: plan.retry }, record, now);
    const why = overdue(plan, record, now);
    const last = record.lastRun;
    statuses.push({
      plan: plan.name,
      trigger: plan.trigger,
      schedule: plan.schedule?.text ?? null,
      lastRun: last === undefined ? null : { result: last.result, time: new Date(last.start).toISOString(), snapshot: last.snapshot ?? null, durationMs: last.end - last.start, error: last.error ?? null },
      lastSuccess: record.lastSuccess === undefined ? null : new Date(record.lastSuccess).toISOString(),
      nextRun: next === null ? null : new Date(Math.max(next.at, now)).toISOString(),
      failures: record.failures,
      repositorySize: options.size ? await sizes.get(plan.repo)! : null,
      overdue: why !== null,
      why,
    });
  }
  return statuses;
}
