/** How one run ended: `partial` made a snapshot but could not read some files. */
export type RunResult = 'success' | 'partial' | 'failure';

/** Why a run started. */
export type RunReason = 'schedule' | 'catch-up' | 'retry' | 'activity' | 'manual';

/** What a plan's runner reports about one run. */
export interface RunOutcome {
  readonly result: RunResult;
  /** The snapshot it made, if any. */
  readonly snapshot?: string;
  readonly files?: number;
  readonly bytes?: number;
  /** Why it failed (or what went partly wrong), as a sentence. */
  readonly error?: string;
}

/** The last run of a plan, as kept between daemon runs. */
export interface LastRun extends RunOutcome {
  readonly reason: RunReason;
  /** Start and end, ms since the epoch. */
  readonly start: number;
  readonly end: number;
}

/** What the scheduler remembers of a plan (persisted by its caller, e.g. as JSON). */
export interface PlanRecord {
  /** When the last scheduled run started, or when the schedule was first armed: the next slot is counted from it. */
  readonly lastSlot?: number;
  readonly lastRun?: LastRun;
  /** When the last run that made a snapshot (success or partial) ended. */
  readonly lastSuccess?: number;
  /** Failed runs since then. */
  readonly failures: number;
}

/** How failed runs are retried: after `delay`, doubling with each failure up to `max` (ms). */
export interface RetryPolicy {
  readonly delay: number;
  readonly max: number;
}

/** One minute, doubling, at most one hour. */
export const DEFAULT_RETRY: RetryPolicy = { delay: 60_000, max: 3_600_000 };

/** The wait before retry number `failures` (1 for the first). */
export function backoff(retry: RetryPolicy, failures: number): number {
  return Math.min(retry.max, retry.delay * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}
