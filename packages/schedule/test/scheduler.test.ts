import { describe, expect, it } from 'vitest';
import { createFakeClock, createScheduler, parseDuration, parseSchedule } from '../src/index.js';
import type { RunOutcome, RunReason, SchedulerEvent } from '../src/index.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0); // a Monday, 10:00 UTC
const H = 3_600_000;

function setup(schedule: string, run: (reason: RunReason) => Promise<RunOutcome> = async () => ({ result: 'success', snapshot: 'abc' }), records = {}) {
  const clock = createFakeClock(T0);
  const events: SchedulerEvent[] = [];
  const reasons: RunReason[] = [];
  const scheduler = createScheduler({
    clock,
    plans: [{ name: 'home', schedule: parseSchedule(schedule, { timezone: 'UTC' }), retry: { delay: 60_000, max: 10 * 60_000 } }],
    records,
    run: async (_plan, reason) => {
      reasons.push(reason);
      return run(reason);
    },
    onEvent: (event) => events.push(event),
  });
  return { clock, events, reasons, scheduler };
}

describe('parseSchedule and parseDuration', () => {
  it('reads intervals, cron expressions and durations, and names bad text', () => {
    expect(parseSchedule('every 2h').interval).toBe(2 * H);
    expect(parseSchedule('0 3 * * *', { timezone: 'UTC' }).next(T0)).toBe(Date.UTC(2026, 0, 6, 3, 0, 0));
    expect(parseSchedule('@hourly').interval).toBe(H);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(() => parseSchedule('every often')).toThrow(/"often" is not a duration/);
    expect(() => parseSchedule('61 * * * *')).toThrow(/neither "every <duration>" nor a cron expression/);
  });
});

describe('scheduler with a fake clock', () => {
  it('runs an interval plan at once, then every interval', async () => {
    const { clock, events, scheduler } = setup('every 2h');
    scheduler.start();
    await clock.advance(5 * H);
    await scheduler.stop();
    const starts = events.filter((e) => e.type === 'start').map((e) => e.time - T0);
    expect(starts).toEqual([0, 2 * H, 4 * H]);
  });

  it('runs a cron plan at its times', async () => {
    const { clock, events, scheduler } = setup('0 */6 * * *');
    scheduler.start();
    await clock.advance(13 * H);
    await scheduler.stop();
    expect(events.filter((e) => e.type === 'start').map((e) => new Date(e.time).toISOString())).toEqual([
      '2026-01-05T12:00:00.000Z',
      '2026-01-05T18:00:00.000Z',
    ]);
  });

  it('makes up a run missed while the machine slept, once, then keeps to the schedule', async () => {
    const { clock, events, scheduler } = setup('0 * * * *');
    scheduler.start();
    await clock.advance(H); // 11:00 runs
    clock.jump(5 * H + 20 * 60_000); // asleep from 11:00 to 16:20: five slots missed
    await clock.advance(60_000); // the capped timer notices within a minute
    await clock.advance(40 * 60_000); // to 17:01
    await scheduler.stop();
    const starts = events.filter((e) => e.type === 'start');
    expect(starts.map((e) => [new Date(e.time).toISOString().slice(11, 16), e.type === 'start' ? e.reason : ''])).toEqual([
      ['11:00', 'schedule'],
      ['16:20', 'catch-up'],
      ['17:00', 'schedule'],
    ]);
  });

  it('makes up a run missed while the daemon was down, from the saved record', async () => {
    const lastRun = { result: 'success' as const, reason: 'schedule' as const, start: T0 - 30 * H, end: T0 - 30 * H + 1000 };
    const { clock, events, scheduler } = setup('0 3 * * *', undefined, { home: { lastSlot: T0 - 30 * H, lastRun, lastSuccess: lastRun.end, failures: 0 } });
    scheduler.start();
    await clock.advance(1000);
    await scheduler.stop();
    expect(events.filter((e) => e.type === 'start').map((e) => [e.time - T0, e.type === 'start' ? e.reason : ''])).toEqual([[0, 'catch-up']]);
    expect(scheduler.nextRun('home')?.at).toBe(Date.UTC(2026, 0, 6, 3, 0, 0));
  });

  it('records a failed run as failed and retries it with backoff until it succeeds', async () => {
    let calls = 0;
    const { clock, events, scheduler } = setup('every 1d', async () => {
      calls += 1;
      if (calls <= 3) throw new Error('disk not mounted');
      return { result: 'success', snapshot: 'f00d' };
    });
    scheduler.start();
    await clock.advance(H);
    await scheduler.stop();
    const ends = events.filter((e) => e.type !== 'start');
    expect(ends.map((e) => [e.type, (e.time - T0) / 60_000, e.reason])).toEqual([
      ['failure', 0, 'schedule'],
      ['failure', 1, 'retry'],
      ['failure', 3, 'retry'],
      ['success', 7, 'retry'],
    ]);
    expect(ends[2]?.type === 'failure' && ends[2].outcome.error).toBe('disk not mounted');
    const record = scheduler.record('home');
    expect(record).toMatchObject({ failures: 0, lastSuccess: T0 + 7 * 60_000, lastRun: { result: 'success', snapshot: 'f00d' } });
  });

  it('never overlaps a run with itself: a trigger during a run is skipped, then runs once after', async () => {
    const { clock, events, scheduler } = setup('every 1h', async () => {
      await new Promise<void>((resolve) => clock.setTimer(90 * 60_000, resolve)); // a run longer than the interval
      return { result: 'success' };
    });
    scheduler.start();
    await clock.advance(10 * 60_000);
    scheduler.trigger('home', 'manual');
    scheduler.trigger('home', 'manual');
    await clock.advance(100 * 60_000);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 5)).toEqual(['start', 'skipped', 'skipped', 'success', 'start']);
    await clock.advance(60 * 60_000);
    const stopping = scheduler.stop(); // waits for the run in progress
    await clock.advance(90 * 60_000);
    await stopping;
    // At no time did two runs of the plan go at once.
    let depth = 0;
    for (const e of events) {
      if (e.type === 'start') depth += 1;
      if (e.type === 'success' || e.type === 'failure') depth -= 1;
      expect(depth).toBeLessThanOrEqual(1);
    }
  });
});
