import type { Clock } from './clock.js';
import { backoff, DEFAULT_RETRY } from './plan-record.js';
import type { PlanRecord, RetryPolicy, RunOutcome, RunReason } from './plan-record.js';
import type { Schedule } from './schedule-spec.js';

/** A plan as the scheduler sees it: a name, when it runs (null: only when triggered), how failures are retried. */
export interface ScheduledPlan {
  readonly name: string;
  readonly schedule: Schedule | null;
  readonly retry?: RetryPolicy;
}

/** What the scheduler reports: a run starting, its result, or a run skipped because the plan's previous run is still going. */
export type SchedulerEvent =
  | { readonly type: 'start'; readonly plan: string; readonly time: number; readonly reason: RunReason }
  | { readonly type: 'success' | 'partial' | 'failure'; readonly plan: string; readonly time: number; readonly reason: RunReason; readonly durationMs: number; readonly outcome: RunOutcome; readonly failures: number }
  | { readonly type: 'skipped'; readonly plan: string; readonly time: number; readonly reason: RunReason; readonly why: string };

/** Options of createScheduler. */
export interface SchedulerOptions {
  readonly clock: Clock;
  readonly plans: readonly ScheduledPlan[];
  /** What is known of each plan from earlier runs (by name); missing plans start fresh. */
  readonly records?: Readonly<Record<string, PlanRecord>>;
  /** Runs the plan once; a throw counts as a failure with its message. */
  run(plan: ScheduledPlan, reason: RunReason): Promise<RunOutcome>;
  onEvent?(event: SchedulerEvent): void;
  /** Called with a plan's record whenever it changes, to persist it. */
  onRecord?(plan: string, record: PlanRecord): void;
  /**
   * The longest a timer sleeps before the wall clock is read again (default one minute): after a
   * machine sleeps, timers fire late, and a run whose time has passed starts then (catch-up).
   */
  readonly maxSleep?: number;
  /** A run more than this late (ms, default two minutes) is reported as a catch-up. */
  readonly lateness?: number;
}

/** Runs plans on their schedules; see createScheduler. */
export interface Scheduler {
  /** Arms every scheduled plan; a run missed while the scheduler was not running starts at once, once. */
  start(): void;
  /** Cancels the timers and waits for runs in progress. */
  stop(): Promise<void>;
  /** Starts a run of `plan` now; skipped (and run once after) when the plan is already running. */
  trigger(plan: string, reason: RunReason): void;
  /** When the plan runs next and why, or null (a plan without a schedule, or a cron with no more runs). */
  nextRun(plan: string): { at: number; reason: RunReason } | null;
  /** The plan's record. */
  record(plan: string): PlanRecord;
  /** Resolves when no plan is running. */
  idle(): Promise<void>;
}

/** When a plan is due next, from its record: its next slot, or sooner a retry after a failure. */
export function nextDue(plan: ScheduledPlan, record: PlanRecord, now: number, lateness = 120_000): { at: number; reason: RunReason } | null {
  let due: { at: number; reason: RunReason } | null = null;
  if (plan.schedule !== null) {
    const at = record.lastSlot === undefined ? now : plan.schedule.next(record.lastSlot);
    if (at !== null) due = { at, reason: now - at > lateness ? 'catch-up' : 'schedule' };
  }
  if (record.failures > 0 && record.lastRun !== undefined) {
    const at = record.lastRun.end + backoff(plan.retry ?? DEFAULT_RETRY, record.failures);
    if (due === null || at < due.at) due = { at, reason: 'retry' };
  }
  return due;
}

/**
 * A scheduler: each plan runs at its schedule's times (a cron expression or an interval), a run
 * missed while the machine slept or the daemon was down starts once as soon as it is noticed, a
 * failed run is recorded and retried with exponential backoff, and a plan never runs twice at once.
 * All time comes from `clock`.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock } = options;
  const maxSleep = options.maxSleep ?? 60_000;
  const lateness = options.lateness ?? 120_000;
  const plans = new Map(options.plans.map((plan) => [plan.name, plan]));
  const records = new Map<string, PlanRecord>(options.plans.map((plan) => [plan.name, options.records?.[plan.name] ?? { failures: 0 }]));
  const timers = new Map<string, () => void>();
  const running = new Map<string, Promise<void>>();
  const again = new Map<string, RunReason>();
  let stopped = true;

  const get = (name: string): ScheduledPlan => {
    const plan = plans.get(name);
    if (plan === undefined) throw new RangeError(`no plan named ${JSON.stringify(name)} (plans: ${[...plans.keys()].join(', ')})`);
    return plan;
  };
  const recordOf = (name: string): PlanRecord => records.get(name) ?? { failures: 0 };
  const setRecord = (name: string, record: PlanRecord): void => {
    records.set(name, record);
    options.onRecord?.(name, record);
  };

  function arm(name: string): void {
    timers.get(name)?.();
    timers.delete(name);
    if (stopped || running.has(name)) return;
    const due = nextDue(get(name), recordOf(name), clock.now(), lateness);
    if (due === null) return;
    const wait = due.at - clock.now();
    if (wait <= 0) {
      execute(name, due.reason);
      return;
    }
    timers.set(name, clock.setTimer(Math.min(wait, maxSleep), () => {
      timers.delete(name);
      arm(name);
    }));
  }

  function execute(name: string, reason: RunReason): void {
    const plan = get(name);
    if (running.has(name)) {
      again.set(name, reason);
      options.onEvent?.({ type: 'skipped', plan: name, time: clock.now(), reason, why: 'the previous run of this plan is still going' });
      return;
    }
    timers.get(name)?.();
    timers.delete(name);
    const start = clock.now();
    setRecord(name, { ...recordOf(name), lastSlot: start });
    options.onEvent?.({ type: 'start', plan: name, time: start, reason });
    const done = (async () => {
      let outcome: RunOutcome;
      try {
        outcome = await options.run(plan, reason);
      } catch (error) {
        outcome = { result: 'failure', error: error instanceof Error ? error.message : String(error) };
      }
      const end = clock.now();
      const before = recordOf(name);
      const failed = outcome.result === 'failure';
      const record: PlanRecord = {
        ...before,
        lastRun: { ...outcome, reason, start, end },
        failures: failed ? before.failures + 1 : 0,
        ...(failed ? {} : { lastSuccess: end }),
      };
      setRecord(name, record);
      options.onEvent?.({ type: outcome.result, plan: name, time: end, reason, durationMs: end - start, outcome, failures: record.failures });
    })();
    running.set(name, done);
    void done.finally(() => {
      running.delete(name);
      const next = again.get(name);
      again.delete(name);
      if (next !== undefined && !stopped) execute(name, next);
      else arm(name);
    });
  }

  return {
    start() {
      stopped = false;
      const now = clock.now();
      for (const plan of plans.values()) {
        // A cron plan never run counts its first slot from now; an interval plan never run runs now.
        if (plan.schedule?.kind === 'cron' && recordOf(plan.name).lastSlot === undefined) setRecord(plan.name, { ...recordOf(plan.name), lastSlot: now });
        arm(plan.name);
      }
    },
    async stop() {
      stopped = true;
      for (const cancel of timers.values()) cancel();
      timers.clear();
      again.clear();
      await Promise.all(running.values());
    },
    trigger(name, reason) {
      get(name);
      if (!stopped) execute(name, reason);
    },
    nextRun(name) {
      return nextDue(get(name), recordOf(name), clock.now(), lateness);
    },
    record: recordOf,
    async idle() {
      while (running.size > 0) await Promise.all(running.values());
    },
  };
}
