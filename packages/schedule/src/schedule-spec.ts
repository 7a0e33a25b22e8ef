import { lazyModule } from '@cairn/core';
import type { Cron } from 'croner';
import { parseDuration } from './duration.js';

/** croner, loaded when a cron expression is first parsed. */
const croner = lazyModule<typeof import('croner')>(import.meta.url, 'croner');

/** When a plan runs: a cron expression (five or six fields, or @daily…) or a fixed interval (`every 2h`). */
export interface Schedule {
  /** The text it was parsed from. */
  readonly text: string;
  readonly kind: 'cron' | 'every';
  /** For `every`: the interval in ms. For cron: the longest gap between two runs seen over the next few runs (what `status` allows before it calls a plan overdue). */
  readonly interval: number;
  /** The first run time strictly after `after` (ms since the epoch), or null when the expression has no more. */
  next(after: number): number | null;
}

/** Parses "every 2h", "@hourly", "0 3 * * *"…; RangeError naming the text when it is neither. */
export function parseSchedule(text: string, options: { readonly timezone?: string } = {}): Schedule {
  const trimmed = text.trim();
  const every = /^every\s+(.+)$/i.exec(trimmed);
  if (every !== null) {
    const interval = parseDuration(every[1] ?? '');
    return { text, kind: 'every', interval, next: (after) => after + interval };
  }
  let cron: Cron;
  try {
    cron = new (croner().Cron)(trimmed, { paused: true, ...(options.timezone === undefined ? {} : { timezone: options.timezone }) });
  } catch (error) {
    throw new RangeError(`${JSON.stringify(text)} is neither "every <duration>" nor a cron expression (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const next = (after: number): number | null => cron.nextRun(new Date(after))?.getTime() ?? null;
  // The interval a monitor may expect: the longest gap among the next runs from now.
  let interval = 0;
  let at = next(Date.now());
  for (let i = 0; i < 8 && at !== null; i += 1) {
    const following = next(at);
    if (following === null) break;
    interval = Math.max(interval, following - at);
    at = following;
  }
  if (at === null && interval === 0) throw new RangeError(`${JSON.stringify(text)}: the cron expression never runs again`);
  return { text, kind: 'cron', interval, next };
}
