/**
 * @cairn/schedule — when backups run by themselves: schedules (cron expressions through croner,
 * `every 2h`), catch-up of a run missed during sleep or downtime, failed runs recorded and retried
 * with backoff, no run overlapping itself, and the settle/threshold trigger of watch mode. Every
 * part reads time from an injectable Clock, so tests drive it with a fake one.
 */
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export { createFakeClock } from './fake-clock.js';
export type { FakeClock } from './fake-clock.js';
export { parseDuration } from './duration.js';
export { parseSchedule } from './schedule-spec.js';
export type { Schedule } from './schedule-spec.js';
export { backoff, DEFAULT_RETRY } from './plan-record.js';
export type { LastRun, PlanRecord, RetryPolicy, RunOutcome, RunReason, RunResult } from './plan-record.js';
export { createScheduler, nextDue } from './scheduler.js';
export type { ScheduledPlan, Scheduler, SchedulerEvent, SchedulerOptions } from './scheduler.js';
export { createActivityTrigger } from './activity-trigger.js';
export type { ActivitySummary, ActivityTrigger, ActivityTriggerOptions } from './activity-trigger.js';
